namespace LoadKit;

/// <summary>
/// A process cannot run a scenario: something it requires is missing here (a browser), or the scenario asks for more
/// than this process allows (browser users over the cap). The message says what, the setting and how to fix it.
/// </summary>
public sealed class ScenarioRequirementException : InvalidOperationException
{
    /// <summary>Creates the exception with the message that explains what is missing.</summary>
    public ScenarioRequirementException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ScenarioRequirementException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ScenarioRequirementException()
    {
    }
}
