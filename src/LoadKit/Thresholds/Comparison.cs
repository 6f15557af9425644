using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Thresholds;

internal enum Comparison
{
    Below,
    AtMost,
    AtLeast,
    Above,
}
