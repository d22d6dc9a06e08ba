using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace MusicGen.Server.LoadTest;

/// <summary>
/// Hand-run load generator: <c>dotnet run --project src/MusicGen.Server -c Release -- load --url http://127.0.0.1:5000
/// [--clients 64] [--requests 10] [--tokens 64] [--model NAME] [--sequential]</c>. Each client sends its requests
/// one after another; it reports successes, failures by status, wall time, requests/s and tokens/s, and latency
/// percentiles. With <c>--compare</c> it first sends the same requests one at a time, then concurrently, and prints
/// the ratio. Loopback addresses only.
/// </summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string url = "http://127.0.0.1:5000";
        int clients = 64, requests = 10, tokens = 64;
        string? model = null;
        bool compare = false, sequential = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--url": url = Next(); break;
                case "--clients": clients = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--requests": requests = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--tokens": tokens = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--model": model = Next(); break;
                case "--compare": compare = true; break;
                case "--sequential": sequential = true; break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option {args[i]}; usage: load --url URL [--clients N] [--requests N] [--tokens N] [--model NAME] [--compare | --sequential]");
                    return 2;
            }
        }
        var uri = new Uri(url);
        if (!uri.IsLoopback)
        {
            await Console.Error.WriteLineAsync($"refusing {url}: the load test only targets loopback addresses");
            return 2;
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        { BaseAddress = uri, Timeout = TimeSpan.FromMinutes(10) };

        Summary? one = null;
        if (compare || sequential)
        {
            Console.WriteLine($"one at a time: {clients * requests} requests of {tokens} tokens ...");
            one = await RunAsync(http, 1, clients * requests, tokens, model);
            Print("one at a time", one);
            if (sequential) return one.Failed == 0 ? 0 : 1;
        }
        Console.WriteLine($"concurrent: {clients} clients x {requests} requests of {tokens} tokens ...");
        var many = await RunAsync(http, clients, requests, tokens, model);
        Print($"{clients} concurrent clients", many);
        if (one is not null)
            Console.WriteLine($"throughput ratio (concurrent / one at a time): {many.RequestsPerSecond / one.RequestsPerSecond:F2}x");
        return many.Failed == 0 && (one?.Failed ?? 0) == 0 ? 0 : 1;
    }

    private sealed record Summary(int Ok, int Failed, Dictionary<string, int> Failures, double Seconds, long Tokens, double[] Latencies)
    {
        public double RequestsPerSecond => Ok / Seconds;
    }

    private static async Task<Summary> RunAsync(HttpClient http, int clients, int requests, int tokens, string? model)
    {
        var ok = 0;
        long tokenCount = 0;
        var failures = new Dictionary<string, int>();
        var latencies = new List<double>();
        var gate = new Lock();
        var sw = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var r = 0; r < requests; r++)
            {
                var t0 = Stopwatch.GetTimestamp();
                string? failure = null;
                int made = 0;
                try
                {
                    using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate")
                    {
                        // Request k (0..clients*requests-1) has seed k in both modes, so both send the same work.
                        Content = JsonContent.Create(new { model, tokens, seed = c + r * clients }),
                    };
                    msg.Headers.Accept.ParseAdd("application/json");
                    using var resp = await http.SendAsync(msg);
                    if (resp.StatusCode == HttpStatusCode.OK)
                    {
                        var body = await resp.Content.ReadFromJsonAsync<Reply>();
                        made = body?.Tokens?.Length ?? 0;
                    }
                    else failure = ((int)resp.StatusCode).ToString(CultureInfo.InvariantCulture);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    failure = ex.GetType().Name;
                }
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                lock (gate)
                {
                    if (failure is null) { ok++; tokenCount += made; latencies.Add(ms); }
                    else failures[failure] = failures.GetValueOrDefault(failure) + 1;
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var failed = failures.Values.Sum();
        latencies.Sort();
        return new Summary(ok, failed, failures, sw.Elapsed.TotalSeconds, tokenCount, [.. latencies]);
    }

    private static void Print(string label, Summary s)
    {
        double P(double q) => s.Latencies.Length == 0 ? 0 : s.Latencies[Math.Min(s.Latencies.Length - 1, (int)(q * s.Latencies.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {s.Ok} ok, {s.Failed} failed{(s.Failed > 0 ? " (" + string.Join(", ", s.Failures.Select(f => f.Key + " x" + f.Value)) + ")" : "")}, " +
            $"{s.Seconds:F2} s, {s.RequestsPerSecond:F2} req/s, {s.Tokens / s.Seconds:F0} tokens/s, latency p50 {P(0.5):F0} ms p90 {P(0.9):F0} ms p99 {P(0.99):F0} ms"));
    }

    private sealed record Reply(int[]? Tokens);
}
