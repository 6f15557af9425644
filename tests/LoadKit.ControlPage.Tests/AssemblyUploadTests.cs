using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;

namespace LoadKit.ControlPage.Tests;

/// <summary>
/// The page's upload of a test assembly (<c>POST /api/assemblies</c>) on a page without etcd, whose runs go in its own
/// process: hostile zips are refused with the limit or entry named and leave nothing, and an uploaded build output's
/// scenario factory runs here.
/// </summary>
[NonParallelizable]
public class AssemblyUploadTests
{
    private const string AccessToken = "upload-access-token-0123456789";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);
    private string _folder = "";
    private ControlPageServer _server = null!;
    private WebApplication _target = null!;
    private HttpClient _client = null!;

    /// <summary>tests/Fixtures/ScenarioFactoryTests's build output, zipped as a user would (its files at the zip's top).</summary>
    internal static string ZipScenarioFactoryTests(string folder)
    {
        var output = AppContext.BaseDirectory.Replace(Path.Combine("tests", "LoadKit.ControlPage.Tests"), Path.Combine("tests", "Fixtures", "ScenarioFactoryTests"), StringComparison.Ordinal);
        File.Exists(Path.Combine(output, "ScenarioFactoryTests.dll")).Should().BeTrue($"the fixture is built beside this test assembly, in {output}");
        var zip = Path.Combine(folder, "Shop.LoadTests.zip");
        File.Delete(zip);
        ZipFile.CreateFromDirectory(output, zip);
        return zip;
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _folder = Directory.CreateTempSubdirectory("loadkit-upload-").FullName;
        _target = LoopbackApp.Create();
        _target.MapGet("/use/{name}", (string name) =>
        {
            _hits.AddOrUpdate(name, 1, (_, n) => n + 1);
            return "ok";
        });
        Environment.SetEnvironmentVariable("SHOP_URL", (await LoopbackApp.StartAsync(_target))[0].ToString());
        _server = await ControlPageServer.StartAsync(new ControlPageOptions
        {
            Folder = Path.Combine(_folder, "page"),
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            AccessToken = AccessToken,
            MaxUploadBytes = 20L * 1024 * 1024, // the fixture's output is about 13 MB
            MaxUploadEntries = 500, // it has about 170 entries
        });
        _client = new HttpClient { BaseAddress = _server.Address };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }

        Environment.SetEnvironmentVariable("SHOP_URL", null);
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public async Task Upload_EntryWithDotDot_RefusedNamingItAndNothingWritten()
    {
        var response = await UploadAsync("evil.zip", Zip(("ok.txt", 10), ("../escaped.txt", 10)));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemAsync(response)).Should().Be("upload 'evil': entry '../escaped.txt' has a '..' segment: it would not stay inside the folder it is unpacked into; refused.");
        File.Exists(Path.Combine(_folder, "page", "assemblies", "escaped.txt")).Should().BeFalse();
        Directory.EnumerateFiles(_folder, "escaped.txt", SearchOption.AllDirectories).Should().BeEmpty("nothing anywhere");
        Directory.Exists(Path.Combine(_folder, "page", "assemblies", "evil")).Should().BeFalse("nothing of the refused upload is kept");
    }

    [Test]
    public async Task Upload_OverTheUnpackedSizeCap_Refused413NamingTheLimit()
    {
        // 21 MiB of zeros: a zip of a few KB whose entry unpacks over the page's 20 MB.
        var response = await UploadAsync("bomb.zip", Zip(("zeros.bin", 21 * 1024 * 1024)));

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await ProblemAsync(response)).Should().Be(
            "upload 'bomb': unpacked size exceeds --max-upload-mb = 20 (MB, ControlPageOptions.MaxUploadBytes): its entries declare 21 MiB; refused.");
        Directory.Exists(Path.Combine(_folder, "page", "assemblies", "bomb")).Should().BeFalse();
        Directory.EnumerateFiles(Path.Combine(_folder, "page", "assemblies"), "*", SearchOption.AllDirectories).Should().BeEmpty("the zip itself is gone too");
    }

    [Test]
    public async Task Upload_NotAZipOrCrossSite_RefusedWithTheReason()
    {
        var notZip = await UploadAsync("text.zip", Encoding.UTF8.GetBytes("not a zip"));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/assemblies?name=x.zip") { Content = new ByteArrayContent(Zip(("ok.txt", 10))) };
        crossSite.Headers.Add("Origin", "http://attacker.example");
        var refused = await _client.SendAsync(crossSite);

        notZip.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemAsync(notZip)).Should().StartWith("upload 'text': not a readable zip archive (");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        Directory.Exists(Path.Combine(_folder, "page", "assemblies", "x")).Should().BeFalse();
    }

    [Test]
    public async Task Upload_TestProjectOutput_ListsItsFactoriesAndRunsOneHere()
    {
        var zip = ZipScenarioFactoryTests(_folder);

        var uploaded = await UploadAsync("Shop.LoadTests.zip", await File.ReadAllBytesAsync(zip));

        uploaded.StatusCode.Should().Be(HttpStatusCode.Created, await uploaded.Content.ReadAsStringAsync());
        using (var row = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()))
        {
            row.RootElement.GetProperty("assembly").GetString().Should().Be("ScenarioFactoryTests.dll");
            row.RootElement.GetProperty("factories").EnumerateArray().Select(f => f.GetProperty("name").GetString())
                .Should().Equal("Shop.LoadTests.ShopLoad.Browse", "Shop.LoadTests.ShopLoad.Checkout");
        }

        // A factory that throws is told at the start, naming it; with its variable set, it runs in the page's process.
        var target = Environment.GetEnvironmentVariable("SHOP_URL");
        Environment.SetEnvironmentVariable("SHOP_URL", null);
        var throwing = await StartAsync("Browse");
        Environment.SetEnvironmentVariable("SHOP_URL", target);
        var started = await StartAsync("Browse");

        throwing.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemAsync(throwing)).Should().Be("scenario factory Shop.LoadTests.ShopLoad.Browse: threw InvalidOperationException: SHOP_URL is not set.");
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        string id;
        using (var run = JsonDocument.Parse(await started.Content.ReadAsStringAsync()))
        {
            id = run.RootElement.GetProperty("id").GetString()!;
        }

        var result = Path.Combine(_folder, "page", "runs", id, "result.json");
        await Eventually.UntilAsync(() => File.Exists(Path.Combine(_folder, "page", "runs", id, "run.json")), Bound, () => $"run {id} ended");
        LoadResult.ReadFile(result).GetStep("use").Ok.Should().Be(20, "Browse's 20 shared iterations");
        _hits.GetValueOrDefault("factory").Should().Be(20);
        _hits.ContainsKey("checkout").Should().BeFalse("the factory not chosen did not run");
        File.Exists(Path.Combine(_folder, "page", "runs", id, "report.html")).Should().BeTrue();
    }

    [Test]
    public async Task Upload_TwiceOfOneName_OneFolderKept_ThenDeleted_GoneFromTheListAndTheDisk()
    {
        var zip = await File.ReadAllBytesAsync(ZipScenarioFactoryTests(_folder));
        var named = Path.Combine(_folder, "page", "assemblies", "Twice");

        var first = await UploadAsync("Twice.zip", zip);
        var second = await UploadAsync("Twice.zip", zip);

        (first.StatusCode, second.StatusCode).Should().Be((HttpStatusCode.Created, HttpStatusCode.Created));
        Directory.GetDirectories(named).Should().ContainSingle("the newer upload is kept, the older folder deleted");
        (await _client.GetStringAsync(new Uri("/api/assemblies", UriKind.Relative))).Should().Contain("\"name\":\"Twice\"");

        var deleted = await _client.DeleteAsync(new Uri("/api/assemblies/Twice", UriKind.Relative));
        var again = await _client.DeleteAsync(new Uri("/api/assemblies/Twice", UriKind.Relative));

        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent, await deleted.Content.ReadAsStringAsync());
        Directory.Exists(named).Should().BeFalse();
        (await _client.GetStringAsync(new Uri("/api/assemblies", UriKind.Relative))).Should().NotContain("Twice");
        again.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ProblemAsync(again)).Should().StartWith("assembly = 'Twice': not an uploaded test assembly; allowed: ");
    }

    [Test]
    public async Task Upload_FourOfOneNameAtOnce_WhileListed_AllTaken_OneFolderKeptWhole()
    {
        // Before uploads were unpacked aside and moved into place whole, a listing during an unpack (each upload's
        // answer lists the uploads) could remember a half-unpacked folder as having no test assembly, and refuse it.
        var zip = await File.ReadAllBytesAsync(ZipScenarioFactoryTests(_folder));
        var assemblies = Path.Combine(_folder, "page", "assemblies");
        for (var round = 1; round <= 3; round++)
        {
            using var stop = new CancellationTokenSource();
            var listing = ListUntilAsync(stop.Token);
            var all = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => UploadAsync("AtOnce.zip", zip)));
            await stop.CancelAsync();
            var lists = await listing;

            foreach (var response in all)
            {
                response.StatusCode.Should().Be(HttpStatusCode.Created, $"round {round}: {await response.Content.ReadAsStringAsync()}");
            }

            lists.Should().BePositive("the uploads were listed while they went on");
            Directory.GetDirectories(Path.Combine(assemblies, "AtOnce")).Should().ContainSingle($"round {round}: the upload kept last is the one left");
            Directory.GetFileSystemEntries(assemblies, ".upload-*").Should().BeEmpty("nothing unpacked aside is left over");
            var listed = await _client.GetStringAsync(new Uri("/api/assemblies", UriKind.Relative));
            listed.Should().Contain("\"name\":\"AtOnce\"").And.Contain("ScenarioFactoryTests").And.NotContain("no test assembly found");
        }

        (await _client.DeleteAsync(new Uri("/api/assemblies/AtOnce", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    private async Task<int> ListUntilAsync(CancellationToken stop)
    {
        var lists = 0;
        while (!stop.IsCancellationRequested)
        {
            using var response = await _client.GetAsync(new Uri("/api/assemblies", UriKind.Relative), CancellationToken.None);
            response.EnsureSuccessStatusCode();
            lists++;
        }

        return lists;
    }

    private Task<HttpResponseMessage> StartAsync(string scenario) =>
        _client.PostAsync(new Uri("/api/runs", UriKind.Relative), new StringContent(
            JsonSerializer.Serialize(new { assembly = "Shop.LoadTests", scenario }), Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> UploadAsync(string name, byte[] zip)
    {
        var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return _client.PostAsync(new Uri($"/api/assemblies?name={Uri.EscapeDataString(name)}", UriKind.Relative), content);
    }

    private static async Task<string?> ProblemAsync(HttpResponseMessage response)
    {
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return answer.RootElement.GetProperty("problems")[0].GetString();
    }

    private static byte[] Zip(params (string Name, int Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                stream.Write(new byte[bytes]);
            }
        }

        return memory.ToArray();
    }
}
