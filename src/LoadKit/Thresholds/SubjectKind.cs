using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Thresholds;

internal enum SubjectKind
{
    Step,
    AllSteps,
    Iterations,
    Scenario,
}
