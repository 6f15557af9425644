using System.Collections.Immutable;
using System.Text;
using LoadKit.HttpSteps;
using LoadKit.Validation;

namespace LoadKit;

/// <summary>
/// An HTTP request as a step sends it: method, path, query, headers, body, checks and extractions. Immutable: each
/// method returns a changed copy, so one description can be shared and varied. Start one with <see cref="Http"/>.
/// A response whose status is not 2xx fails the step unless a status check (<see cref="HttpCheck.StatusIs"/>) says
/// otherwise.
/// </summary>
public sealed class HttpCall
{
    private ResolvedUri? _resolved;
    private WireCall? _wire;

    internal HttpCall(HttpMethod method, string path)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        Method = method;
        Path = Parse(path, "path", out var problem);
        problem ??= Urls.HttpProblem(path) is { } urlProblem ? $"the address {urlProblem}; allowed: {Urls.HttpAllowed}" : null;
        Problems = problem is null ? [] : [problem];
    }

    private HttpCall(HttpCall other)
    {
        Method = other.Method;
        Path = other.Path;
        Query = other.Query;
        Headers = other.Headers;
        FormFields = other.FormFields;
        Body = other.Body;
        RawBody = other.RawBody;
        ContentType = other.ContentType;
        Checks = other.Checks;
        StatusCheck = other.StatusCheck;
        Extractions = other.Extractions;
        Timeout = other.Timeout;
        Problems = other.Problems;
    }

    /// <summary>The method.</summary>
    public HttpMethod Method { get; }

    /// <summary>The path, relative to the scenario's base address, or absolute.</summary>
    public Template Path { get; }

    internal ImmutableArray<(string Name, Template Value)> Query { get; private init; } = [];

    internal ImmutableArray<(string Name, Template Value)> Headers { get; private init; } = [];

    internal ImmutableArray<(string Name, Template Value)> FormFields { get; private init; } = [];

    internal Template? Body { get; private init; }

    internal byte[]? RawBody { get; private init; }

    internal string? ContentType { get; private init; }

    internal ImmutableArray<HttpCheck> Checks { get; private init; } = [];

    internal ImmutableArray<(string Name, HttpExtract From)> Extractions { get; private init; } = [];

    /// <summary>The request's own time limit; null: only the step's timeout applies.</summary>
    internal TimeSpan? Timeout { get; private init; }

    /// <summary>What is wrong with the description (a malformed template or JSON path), reported when the scenario is built.</summary>
    internal ImmutableArray<string> Problems { get; private init; }

    /// <summary>The last status check added; null: the status must be 2xx.</summary>
    internal HttpCheck? StatusCheck { get; private init; }

    internal bool NeedsBody => Checks.Any(c => c.NeedsBody) || Extractions.Any(e => e.From.NeedsBody);

    /// <summary>Adds a query parameter (the value is URL-encoded after it is filled in).</summary>
    public HttpCall WithQuery(string name, string value) =>
        new(this) { Query = Query.Add((name, Parse(value, $"query '{name}'", out var p))), Problems = With(p) };

    /// <summary>Adds a request header.</summary>
    /// <remarks>
    /// The name must be an HTTP token and the value must hold no line break (CR, LF) or NUL: <c>Build()</c> names what
    /// is wrong. A value filled from the session that holds one fails its request unsent, on either engine.
    /// </remarks>
    public HttpCall WithHeader(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var template = Parse(value, $"header '{name}'", out var p);
        p ??= name.Any(c => c is <= ' ' or >= (char)127 || "()<>@,;:\\\"/[]?={}".Contains(c))
            ? $"header name '{name}': allowed are letters, digits and !#$%&'*+-.^_`|~ (an HTTP token)"
            : value.AsSpan().IndexOfAny(LineBreaks) >= 0
                ? $"header '{name}': its value holds a line break (CR or LF) or NUL, which would split the request; allowed is one line"
                : null;
        return new(this) { Headers = Headers.Add((name, template)), Problems = With(p) };
    }

    /// <summary>
    /// A header's value for a request, its template filled from <paramref name="session"/>: one with a line break or NUL
    /// (from a feed or an extraction) would split the request, so it fails unsent. The message leaves the value out,
    /// so that such failures count as one error, not one per value.
    /// </summary>
    internal static string HeaderValue(string name, Template value, Session session)
    {
        var text = value.Render(session);
        return text.AsSpan().IndexOfAny(LineBreaks) < 0
            ? text
            : throw new HttpRequestException($"header '{name}': its value filled from the session holds a line break (CR or LF) or NUL, which would split the request; not sent");
    }

    private static readonly System.Buffers.SearchValues<char> LineBreaks = System.Buffers.SearchValues.Create("\r\n\0");

    /// <summary>Adds a form field; the body is then <c>application/x-www-form-urlencoded</c>.</summary>
    public HttpCall WithFormField(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(this) { FormFields = FormFields.Add((name, Parse(value, $"form field '{name}'", out var p))), Body = null, RawBody = null, ContentType = null, Problems = With(p) };
    }

    /// <summary>A JSON body, written as text with <c>{{name}}</c> placeholders.</summary>
    public HttpCall WithJson(string json) => WithBody(json, "application/json");

    /// <summary>A JSON body serialised from <paramref name="value"/> once; its strings may hold <c>{{name}}</c> placeholders.</summary>
    public HttpCall WithJson<T>(T value) => WithJson(System.Text.Json.JsonSerializer.Serialize(value));

    /// <summary>A text body (UTF-8) with <c>{{name}}</c> placeholders.</summary>
    public HttpCall WithBody(string text, string contentType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        return new(this) { Body = Parse(text, "body", out var p), RawBody = null, FormFields = [], ContentType = contentType, Problems = With(p) };
    }

    /// <summary>A fixed binary body.</summary>
    public HttpCall WithBody(byte[] bytes, string contentType)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        return new(this) { RawBody = bytes, Body = null, FormFields = [], ContentType = contentType };
    }

    /// <summary>Adds a check. A status check replaces the default "status is 2xx".</summary>
    public HttpCall Check(HttpCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return new(this) { Checks = Checks.Add(check), StatusCheck = check.IsStatusCheck ? check : StatusCheck, Problems = With(check.Problem is { } p ? $"check '{check.Description}': {p}" : null) };
    }

    /// <summary>Stores a value found in the response in the VU's session under <paramref name="name"/>.</summary>
    public HttpCall Extract(string name, HttpExtract from)
    {
        ArgumentNullException.ThrowIfNull(from);
        var problem = string.IsNullOrWhiteSpace(name) ? $"extraction by {from.Description} has an empty session name" : from.Problem is { } p ? $"extraction '{name}': {p}" : null;
        return new(this) { Extractions = Extractions.Add((name ?? "", from)), Problems = With(problem) };
    }

    /// <summary>
    /// A time limit for this request alone (connect, send, headers and body); when it passes the step counts as
    /// timed out. Without it only the step's timeout applies.
    /// </summary>
    public HttpCall WithTimeout(TimeSpan timeout)
    {
        var problems = new List<ValidationProblem>();
        Validation.Check.Duration("timeout", timeout, problems);
        return new(this) { Timeout = timeout, Problems = With(problems.Count > 0 ? $"timeout {problems[0].Value} {problems[0].Allowed}" : null) };
    }

    /// <summary>
    /// Sends the request from code inside a step: fills in the templates from the step's session, records status,
    /// bytes and time to headers in the step's statistics, runs the checks and extractions. A failed check fails the
    /// step (as <see cref="StepContext.Fail"/> does) and the reply says which.
    /// </summary>
    public async ValueTask<HttpReply> SendAsync(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var outcome = new HttpSender.HttpOutcome();
        await HttpSender.SendAsync(this, context, outcome).ConfigureAwait(false);
        return new HttpReply(outcome.Status, outcome.Failure, outcome.View!.Text, outcome.View.Header);
    }

    /// <summary>
    /// Sends the request from a scenario's init or cleanup or a task's pre-work (a login whose token stays in the
    /// session), on the VU's connections and with the scenario's HTTP settings, as a step would send it. Its checks and
    /// extractions run, but it is not a step: nothing is recorded in a step's statistics, and a failed check throws,
    /// so the hook fails with the request and the check's description (counted in <see cref="ScenarioResult.Init"/> or
    /// <see cref="ScenarioResult.PreWork"/>).
    /// </summary>
    /// <param name="session">The session the hook was given.</param>
    /// <param name="cancellationToken">The token the hook was given.</param>
    /// <exception cref="InvalidOperationException">
    /// The session is not one of a running scenario's VUs, or a check or extraction failed (the message is its description).
    /// </exception>
    public async ValueTask<HttpReply> SendAsync(Session session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var context = session.Context?.ForHook(cancellationToken)
            ?? throw new InvalidOperationException($"HTTP request {this}: a session sends requests only in the init, pre-work or cleanup of a running scenario.");
        var outcome = new HttpSender.HttpOutcome();
        await HttpSender.SendAsync(this, context, outcome).ConfigureAwait(false);
        if (outcome.Failure is { } failure)
        {
            throw new InvalidOperationException($"{this}: {failure}");
        }

        return new HttpReply(outcome.Status, outcome.Failure, outcome.View!.Text, outcome.View.Header);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Method} {Path}";

    /// <summary>The address to send to. A constant path without query is resolved once per base address.</summary>
    internal Uri UriFor(Uri? baseAddress, Session session)
    {
        if (Query.Length == 0 && Path.IsConstant && _resolved is { } cached && cached.Base == baseAddress)
        {
            return cached.Uri;
        }

        var text = Path.Render(session);
        if (Query.Length > 0)
        {
            var query = new StringBuilder(text);
            var separator = text.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            foreach (var (name, value) in Query)
            {
                query.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value.Render(session)));
                separator = '&';
            }

            text = query.ToString();
        }

        Uri uri;
        if (Uri.TryCreate(text, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
        {
            uri = absolute;
        }
        else if (Urls.HttpProblem(text) is { } problem)
        {
            // A template filled in to an address that is not one (the constant ones were refused by Build).
            throw new InvalidOperationException($"HTTP request {this}: the address '{text}' {problem}; allowed: {Urls.HttpAllowed}.");
        }
        else if (baseAddress is null)
        {
            throw new InvalidOperationException(
                $"HTTP request {this}: the path '{text}' is relative and no base address is set. Set HttpSettings.BaseAddress with WithHttp, or the {HttpSettings.BaseAddressVariable} environment variable.");
        }
        else
        {
            uri = new Uri(baseAddress, text);
        }

        if (Query.Length == 0 && Path.IsConstant)
        {
            _resolved = new ResolvedUri(baseAddress, uri);
        }

        return uri;
    }

    /// <summary>This description encoded for LoadKit's engine with the context's settings (made on first use, then reused).</summary>
    internal WireCall WireFor(StepContext context)
    {
        var (baseAddress, version, decompression) = (context.HttpBaseAddress, context.Http.Version, context.Http.Decompression);
        return _wire is { } wire && wire.Fits(baseAddress, version, decompression)
            ? wire
            : _wire = new WireCall(this, baseAddress, version, decompression, context.Session);
    }

    private static Template Parse(string text, string what, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            problem = null;
            return Template.Parse(text);
        }
        catch (FormatException e)
        {
            problem = $"{what}: {e.Message}";
            return Template.Parse("");
        }
    }

    private ImmutableArray<string> With(string? problem) => problem is null ? Problems : Problems.Add(problem);

    /// <summary>The body to send, or null; the count of its bytes comes from the content.</summary>
    internal HttpContent? CreateContent(Session session)
    {
        if (FormFields.Length > 0)
        {
            return new FormUrlEncodedContent(FormFields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value.Render(session))));
        }

        if (RawBody is not null)
        {
            var raw = new ByteArrayContent(RawBody);
            raw.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            return raw;
        }

        if (Body is null)
        {
            return null;
        }

        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body.Render(session)));
        content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        return content;
    }
}

/// <summary>What <see cref="HttpCall.SendAsync(StepContext)"/> got back.</summary>
/// <param name="StatusCode">The response's status code.</param>
/// <param name="Failure">The failed check's description (the step has failed), or null when every check held.</param>
/// <param name="Body">The body as UTF-8 text.</param>
/// <param name="Header">A response header by name (several values joined with ", "), or null.</param>
public sealed record HttpReply(int StatusCode, string? Failure, string Body, Func<string, string?> Header)
{
    /// <summary>Whether every check held.</summary>
    public bool Passed => Failure is null;
}
