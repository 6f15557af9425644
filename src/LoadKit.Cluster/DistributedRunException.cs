namespace LoadKit;

/// <summary>
/// A distributed run could not be set up or finished: etcd did not answer, too few workers registered, a worker
/// refused the job. The message says what was expected, what was found and what to do.
/// </summary>
public sealed class DistributedRunException : Exception
{
    /// <summary>Creates the exception with its explanation.</summary>
    public DistributedRunException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its explanation and the error that caused it.</summary>
    public DistributedRunException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
