using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Thresholds;

internal sealed record ThresholdSubject(SubjectKind Kind, string? StepName)
{
    public override string ToString() => Kind switch
    {
        SubjectKind.Step => $"step '{StepName}'",
        SubjectKind.AllSteps => "all steps",
        SubjectKind.Iterations => "iterations",
        _ => "the scenario",
    };
}
