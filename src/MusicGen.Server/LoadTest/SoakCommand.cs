using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace MusicGen.Server.LoadTest;

/// <summary>
/// The soak client that <c>scripts/soak.sh</c> runs against a real service: <c>MusicGen.Server soak --url URL
/// --seconds N [--clients 6] [--tokens 48] [--deadline-seconds 120] [--table]</c>. First (with <c>--table</c>) it
/// sends every bad primer of <see cref="SoakCorpus"/> to every model once and prints status, limit or offset,
/// detail and time. Then each client, until the time is up, sends a random mix: plain generations, streams read to
/// their end, streams cancelled part-way, bad primers (expect 400), oversized bodies (expect 413) and unknown fields
/// (expect 400), and, where <c>GET /v1/audio</c> says the service renders audio, generations answered as WAV or FLAC
/// (expect 200 with an audio content type). Every request has a client deadline of the service's deadline + 1 s; one that passes it is hung.
/// At the end it waits (up to 15 s) for the queue depth and active slots on <c>/metrics</c> to read 0. Exit code 0
/// when no request got a 5xx other than 503/504, none hung, none got a status its kind does not allow, and the
/// gauges went back to 0. Loopback addresses only.
/// </summary>
internal static class SoakCommand
{
    private enum Kind { Generate, Stream, Cancel, BadPrimer, Oversized, UnknownField, Audio }

    public static async Task<int> RunAsync(string[] args)
    {
        string url = "http://127.0.0.1:5000";
        int seconds = 60, clients = 6, tokens = 48, deadline = 120;
        bool table = false;
        var kinds = Enum.GetValues<Kind>().ToHashSet();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--url": url = Next(); break;
                case "--seconds": seconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--clients": clients = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--tokens": tokens = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--deadline-seconds": deadline = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--table": table = true; break;
                case "--kinds": kinds = [.. Next().Split(',').Select(k => Enum.Parse<Kind>(k, ignoreCase: true))]; break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option {args[i]}; usage: soak --url URL --seconds N [--clients N] [--tokens N] [--deadline-seconds N] [--table] [--kinds generate,stream,cancel,badprimer,oversized,unknownfield,audio]");
                    return 2;
            }
        }
        var uri = new Uri(url);
        if (!uri.IsLoopback)
        {
            await Console.Error.WriteLineAsync($"refusing {url}: the soak only targets loopback addresses");
            return 2;
        }
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = uri, Timeout = Timeout.InfiniteTimeSpan };
        var models = await ModelNamesAsync(http);
        var (audioAvailable, audioReason) = await AudioStatusAsync(http);
        if (!audioAvailable && kinds.Remove(Kind.Audio))
            Console.WriteLine($"soak client: audio requests left out: the service does not render audio ({audioReason})");
        var corpus = SoakCorpus.Cases();
        if (table) await PrintTableAsync(http, models, corpus);

        var stats = new Stats();
        var end = DateTime.UtcNow.AddSeconds(seconds);
        var limit = TimeSpan.FromSeconds(deadline + 1);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(c + 1);
            for (int n = 0; DateTime.UtcNow < end; n++)
            {
                var kind = Pick(rng);
                while (!kinds.Contains(kind)) kind = Pick(rng);
                var model = models[rng.Next(models.Count)];
                var (status, hung) = await OneAsync(http, kind, model, tokens, c * 1_000_000 + n, corpus[rng.Next(corpus.Count)].Bytes, rng, limit);
                stats.Add(kind, status, hung);
            }
        })));
        var elapsed = sw.Elapsed.TotalSeconds;
        var (queue, active) = await DrainedGaugesAsync(http);
        bool ok = stats.Bad5xx == 0 && stats.Hung == 0 && stats.Unexpected == 0 && queue == 0 && active == 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak client: {stats.Total} requests in {elapsed:F0} s ({stats.Kinds()}); statuses {stats.Statuses()}; 5xx other than 503/504: {stats.Bad5xx}; hung: {stats.Hung}; unexpected: {stats.Unexpected}{stats.FirstUnexpected}; queue {queue}, active {active} at the end: {(ok ? "PASS" : "FAIL")}"));
        return ok ? 0 : 1;
    }

    private static Kind Pick(Random rng) => rng.Next(100) switch
    {
        < 30 => Kind.Generate,
        < 55 => Kind.Stream,
        < 70 => Kind.Cancel,
        < 88 => Kind.BadPrimer,
        < 92 => Kind.Oversized,
        < 96 => Kind.UnknownField,
        _ => Kind.Audio,
    };

    /// <summary>Statuses each kind may get besides the busy answers every request may get (429, 503, 504).</summary>
    private static bool Allowed(Kind kind, int status) => status is 429 or 503 or 504 || kind switch
    {
        Kind.Generate or Kind.Stream or Kind.Audio => status == 200,
        Kind.Cancel => status is 200 or 0,
        Kind.BadPrimer or Kind.UnknownField => status == 400,
        Kind.Oversized => status is 413 or 400,
        _ => false,
    };

    private static async Task<(int Status, bool Hung)> OneAsync(HttpClient http, Kind kind, string model, int tokens, long seed, byte[] primer, Random rng, TimeSpan limit)
    {
        using var deadline = new CancellationTokenSource(limit);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        try
        {
            HttpContent body = kind switch
            {
                Kind.BadPrimer => JsonContent.Create(new { model, tokens = 8, primer = Convert.ToBase64String(primer) }),
                Kind.Oversized => new StringContent($$"""{"tokens":8,"primer":"{{new string('A', 2 << 20)}}"}""", Encoding.UTF8, "application/json"),
                Kind.UnknownField => new StringContent("""{"tokenz":8}""", Encoding.UTF8, "application/json"),
                Kind.Audio => JsonContent.Create(new { model, tokens, seed, format = rng.Next(2) == 0 ? "wav" : "flac" }),
                _ => JsonContent.Create(new { model, tokens, seed }),
            };
            bool stream = kind is Kind.Stream or Kind.Cancel;
            using var msg = new HttpRequestMessage(HttpMethod.Post, stream ? "/v1/generate/stream" : "/v1/generate") { Content = body };
            if (!stream) msg.Headers.Accept.ParseAdd("application/json");
            // The service answers an oversized body with 413 before reading it and closes the connection: the client
            // must not pool that connection (without this, later requests on it fail with a broken pipe).
            if (kind == Kind.Oversized) msg.Headers.ConnectionClose = true;
            if (kind == Kind.Cancel) cancel.CancelAfter(rng.Next(20, 600));
            using var resp = await http.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var status = (int)resp.StatusCode;
            if (stream && resp.StatusCode == HttpStatusCode.OK)
            {
                // Read the stream to its end: the last event is "done", or "error" with a ProblemDetails.
                using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(cancel.Token));
                string? last = null, data = null;
                while (await reader.ReadLineAsync(cancel.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) last = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                }
                if (last == "error") return (ErrorStatus(data), false); // the status of the error event's ProblemDetails
                if (last != "done") return (598, false); // a stream that ended without its last event
            }
            else
            {
                var bytes = await resp.Content.ReadAsByteArrayAsync(cancel.Token);
                // An audio answer must be audio: a RIFF/WAVE or fLaC file of its declared type.
                if (kind == Kind.Audio && status == 200 && !IsAudio(resp.Content.Headers.ContentType?.MediaType, bytes)) return (596, false);
            }
            return (status, false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return (0, true);
        }
        catch (OperationCanceledException) when (kind == Kind.Cancel)
        {
            return (0, false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The service closes the connection once a body passes its limit, possibly before the client reads the
            // 413; for any other kind a broken connection is unexpected (status 1).
            if (kind == Kind.Oversized) return (413, false);
            await Console.Error.WriteLineAsync($"{kind}: {ex.GetType().Name}: {ex.Message} {ex.InnerException?.Message}");
            return (1, false);
        }
    }

    private static bool IsAudio(string? mediaType, byte[] bytes) => mediaType switch
    {
        "audio/wav" => bytes.Length > 44 && bytes.AsSpan(0, 4).SequenceEqual("RIFF"u8) && bytes.AsSpan(8, 4).SequenceEqual("WAVE"u8),
        "audio/flac" => bytes.Length > 42 && bytes.AsSpan(0, 4).SequenceEqual("fLaC"u8),
        _ => false,
    };

    private static async Task<(bool Available, string? Reason)> AudioStatusAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/audio"));
        var root = doc.RootElement;
        return (root.GetProperty("available").GetBoolean(),
            root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null);
    }

    private static int ErrorStatus(string? data)
    {
        try
        {
            using var doc = JsonDocument.Parse(data ?? "{}");
            return doc.RootElement.TryGetProperty("status", out var s) && s.TryGetInt32(out var v) ? v : 597;
        }
        catch (JsonException)
        {
            return 597;
        }
    }

    private static async Task<List<string>> ModelNamesAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        return [.. doc.RootElement.GetProperty("models").EnumerateArray()
            .Where(m => m.GetProperty("state").GetString() == "active").Select(m => m.GetProperty("name").GetString()!)];
    }

    private static async Task PrintTableAsync(HttpClient http, List<string> models, IReadOnlyList<(string Name, byte[] Bytes)> corpus)
    {
        Console.WriteLine("| primer | bytes | model | status | ms | problem |");
        Console.WriteLine("|---|---:|---|---:|---:|---|");
        foreach (var model in models)
            foreach (var (name, bytes) in corpus)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var resp = await http.PostAsJsonAsync("/v1/generate", new { model, tokens = 8, primer = Convert.ToBase64String(bytes) });
                var text = await resp.Content.ReadAsStringAsync();
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {bytes.Length} | {model} | {(int)resp.StatusCode} | {ms:F0} | {Describe(text)} |"));
            }
    }

    private static string Describe(string problem)
    {
        try
        {
            using var doc = JsonDocument.Parse(problem);
            var root = doc.RootElement;
            var parts = new List<string>();
            foreach (var member in new[] { "limit", "offset" })
                if (root.TryGetProperty(member, out var v)) parts.Add($"{member} {v}");
            if (root.TryGetProperty("errors", out var errors))
                foreach (var e in errors.EnumerateObject()) parts.Add($"{e.Name}: {e.Value[0].GetString()}");
            else if (root.TryGetProperty("detail", out var d)) parts.Add(d.GetString() ?? "");
            return string.Join("; ", parts).Replace('|', '/');
        }
        catch (JsonException)
        {
            return problem.Length > 80 ? problem[..80] : problem;
        }
    }

    /// <summary>Queue depth and active slots summed over models, once both read 0 or after 15 s.</summary>
    private static async Task<(double Queue, double Active)> DrainedGaugesAsync(HttpClient http)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var text = await http.GetStringAsync("/metrics");
            double queue = Sum(text, "musicgen_queue_depth"), active = Sum(text, "musicgen_batch_active");
            if ((queue == 0 && active == 0) || DateTime.UtcNow > until) return (queue, active);
            await Task.Delay(250);
        }
    }

    private static double Sum(string metrics, string prefix)
    {
        double sum = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return sum;
    }

    private sealed class Stats
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<Kind, int> _kinds = [];
        private readonly SortedDictionary<int, int> _statuses = [];

        public int Total { get; private set; }
        public int Bad5xx { get; private set; }
        public int Hung { get; private set; }
        public int Unexpected { get; private set; }
        public string FirstUnexpected { get; private set; } = "";

        public void Add(Kind kind, int status, bool hung)
        {
            lock (_gate)
            {
                Total++;
                _kinds[kind] = _kinds.GetValueOrDefault(kind) + 1;
                _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
                if (hung) { Hung++; return; }
                if (status >= 500 && status is not (503 or 504)) Bad5xx++;
                if (!Allowed(kind, status))
                {
                    if (Unexpected++ == 0) FirstUnexpected = $" (first: {kind} got {status})";
                }
            }
        }

        public string Kinds() { lock (_gate) return string.Join(", ", _kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")); }

        public string Statuses() { lock (_gate) return string.Join(", ", _statuses.Select(s => $"{(s.Key == 0 ? "cancelled" : s.Key.ToString(CultureInfo.InvariantCulture))} x{s.Value}")); }
    }
}
