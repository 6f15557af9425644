using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Thresholds;

internal enum FigureKind
{
    Percentile,
    Mean,
    Max,
    FailureRate,
    FailureCount,
    Throughput,
    Dropped,
}
