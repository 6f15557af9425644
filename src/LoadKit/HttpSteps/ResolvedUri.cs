using System.Collections.Immutable;
using System.Text;
using LoadKit.Validation;

namespace LoadKit.HttpSteps;

/// <summary>A constant path resolved against one base address (a reference, swapped whole, so readers never tear).</summary>
internal sealed record ResolvedUri(Uri? Base, Uri Uri);
