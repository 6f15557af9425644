using System.Reflection;

namespace LoadKit.ControlPage.Page;

/// <summary>The page's files, embedded in this assembly (wwwroot/ and the vendored uPlot): no CDN, the page works offline.</summary>
internal static class PageAssets
{
    private static readonly Assembly Assembly = typeof(PageAssets).Assembly;

    /// <summary>The embedded file <paramref name="name"/> (e.g. <c>app.js</c>, <c>uPlot.iife.min.js</c>) with its content type; null when there is none.</summary>
    public static (byte[] Content, string ContentType)? Find(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        using var stream = Assembly.GetManifestResourceStream($"LoadKit.ControlPage.wwwroot.{name}") ?? Assembly.GetManifestResourceStream($"LoadKit.ControlPage.Assets.{name}");
        if (stream is null)
        {
            return null;
        }

        var content = new byte[stream.Length];
        stream.ReadExactly(content);
        return (content, Path.GetExtension(name) switch
        {
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".html" => "text/html; charset=utf-8",
            _ => "application/octet-stream",
        });
    }

    /// <summary>
    /// The page, with the plan editor's script and styles linked when this assembly carries them (wwwroot/plans.js,
    /// wwwroot/plans.css).
    /// </summary>
    public static string Index()
    {
        var page = System.Text.Encoding.UTF8.GetString(Find("index.html")!.Value.Content);
        var editor = (Find("plans.css") is null ? "" : "<link rel=\"stylesheet\" href=\"/assets/plans.css\">")
            + (Find("plans.js") is null ? "" : "<script src=\"/assets/plans.js\"></script>");
        return page.Replace("<!--plan-editor-->", editor, StringComparison.Ordinal);
    }
}
