using Microsoft.Playwright;

namespace MusicGen.Server.Tests;

/// <summary>Debian's Chromium driven by Playwright, launched the same way by every browser test.</summary>
internal static class TestBrowser
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// Headless Chromium with no sandbox, GPU or background requests, and autoplay allowed so the page's audio plays
    /// without a user gesture; fails the test with the reason when Chromium is not installed.
    /// </summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: .ci/run installs Debian's chromium package");
        return playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"],
        });
    }
}
