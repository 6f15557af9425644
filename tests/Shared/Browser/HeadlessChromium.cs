using Microsoft.Playwright;

namespace LoadKit.TestTargets;

/// <summary>
/// The Chromium the browser-driven tests use: Debian's (or <c>LOADKIT_CHROMIUM_PATH</c>), headless, without the sandbox
/// and shared memory that containers lack. Linked only into test projects that reference Playwright.
/// </summary>
internal static class HeadlessChromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Environment.GetEnvironmentVariable("LOADKIT_CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
}
