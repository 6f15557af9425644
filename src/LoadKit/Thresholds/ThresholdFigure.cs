using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Thresholds;

internal sealed record ThresholdFigure(FigureKind Kind, double Percentile)
{
    public override string ToString() => Kind switch
    {
        FigureKind.Percentile => Format.PercentileLabel(Percentile),
        FigureKind.Mean => "mean",
        FigureKind.Max => "max",
        FigureKind.FailureRate => "failure rate",
        FigureKind.FailureCount => "failures",
        FigureKind.Throughput => "throughput",
        _ => "dropped iterations",
    };

    public bool IsLatency => Kind is FigureKind.Percentile or FigureKind.Mean or FigureKind.Max;

    public string Show(double value) => Kind switch
    {
        _ when IsLatency => Format.Milliseconds(TimeSpan.FromMilliseconds(value)),
        FigureKind.FailureRate => Format.Percent(value),
        FigureKind.Throughput => Format.Number(value) + "/s",
        _ => Format.Count((long)value),
    };
}
