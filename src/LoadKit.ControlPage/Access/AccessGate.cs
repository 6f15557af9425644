using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace LoadKit.ControlPage.Access;

/// <summary>
/// Who may use the page: every page and API call needs the access token, as the login cookie (HttpOnly,
/// SameSite=Strict) or an <c>Authorization: Bearer</c> header; a request that changes something (any method but GET
/// and HEAD) from another site is refused with 403 (its <c>Origin</c> is not the page's own, or the browser says
/// <c>Sec-Fetch-Site: cross-site</c>), so another site cannot start load through a logged-in browser.
/// </summary>
internal sealed class AccessGate
{
    /// <summary>The login cookie's name.</summary>
    public const string CookieName = "loadkit_page";

    private readonly byte[] _token;
    private readonly string _session;

    public AccessGate(string token)
    {
        _token = Encoding.UTF8.GetBytes(token);

        // The cookie holds a value derived from the token, not the token itself.
        _session = Convert.ToHexStringLower(HMACSHA256.HashData(_token, "loadkit control page session"u8));
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && CrossSite(request) is { } reason)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { error = $"Refused: {reason}. The control page accepts changes only from its own pages." });
            return;
        }

        if (request.Path == "/login")
        {
            await LoginAsync(context);
            return;
        }

        if (request.Path == "/logout" && HttpMethods.IsPost(request.Method))
        {
            context.Response.Cookies.Delete(CookieName);
            context.Response.Redirect("/login", permanent: false);
            return;
        }

        if (!Admitted(request))
        {
            if (request.Path.StartsWithSegments("/api") || !HttpMethods.IsGet(request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(new { error = "The control page needs its access token: log in at /login, or send Authorization: Bearer TOKEN." });
            }
            else
            {
                context.Response.Redirect("/login", permanent: false);
            }

            return;
        }

        await next(context);
    }

    /// <summary>Why the request comes from another site, or null.</summary>
    internal static string? CrossSite(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site")
        {
            return "Sec-Fetch-Site is cross-site";
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"Origin '{origin}' is not this page's ({request.Scheme}://{request.Host})";
    }

    private bool Admitted(HttpRequest request)
    {
        if (request.Cookies[CookieName] is { } cookie && Same(cookie, _session))
        {
            return true;
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim()), _token);
    }

    private static bool Same(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private async Task LoginAsync(HttpContext context)
    {
        var request = context.Request;
        string? problem = null;
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(form["token"].ToString().Trim()), _token))
            {
                context.Response.Cookies.Append(CookieName, _session, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Secure = request.IsHttps,
                    Path = "/",
                });
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = "/";
                return;
            }

            problem = "That is not the access token. loadkit serve printed it when it started (or it is the one given with --access-token-file or LOADKIT_PAGE_TOKEN).";
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>LoadKit · log in</title>
            <style>body{font:15px system-ui,sans-serif;background:#f5f6f8;display:flex;justify-content:center;padding-top:12vh}
            form{background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px #0002;min-width:22em}
            input{width:100%;padding:.5em;margin:.5em 0 1em;box-sizing:border-box;font:inherit}button{padding:.5em 1.2em;font:inherit}
            .problem{color:#b00020}</style></head>
            <body><form method="post" action="/login">
            <h1>LoadKit control page</h1>
            <label for="token">Access token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
            {{(problem is null ? "" : $"<p class=\"problem\" id=\"login-problem\">{WebUtility.HtmlEncode(problem)}</p>")}}
            <button type="submit" id="login">Log in</button>
            </form></body></html>
            """, context.RequestAborted);
    }
}
