using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MusicGen.Listening;

namespace MusicGen.Cli.Commands;

/// <summary>
/// <c>musicgen eval listening --db PATH</c>: what the blind listening test found, per model (accuracy of picking
/// the real excerpt with its 95% Wilson interval and binomial p-value), per listener and per session.
/// </summary>
public static class ListeningCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>The <c>listening</c> subcommand of <c>eval</c>.</summary>
    public static Command Create()
    {
        var db = new Option<FileInfo>("--db") { Description = "The listening test's SQLite database (the service's MusicGen:Listening:DatabasePath).", Required = true };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON to this file." };
        var cmd = new Command("listening", "Report the blind listening test: how often listeners picked the real excerpt, per model (95% Wilson interval; 0.5 = indistinguishable), per listener and per session.")
        {
            db, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            try
            {
                var database = await ListeningDatabase.OpenReadOnlyAsync(parse.GetValue(db)!.FullName, ct);
                var report = await ListeningReport.LoadAsync(database, ct);
                Write(output, database.Path, report);
                if (parse.GetValue(json) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
                    await output.WriteLineAsync($"wrote {file.FullName}");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("error: " + e.Message.ReplaceLineEndings(" "));
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>Writes the report as text tables.</summary>
    public static void Write(TextWriter output, string path, ListeningReport report)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        var pairs = report.Models.Sum(m => m.Pairs);
        output.WriteLine($"listening test {path}: {report.Sessions.Count} sessions, {report.Listeners.Count} listeners, {pairs} pairs, {report.Overall.Trials} answered");
        output.WriteLine("accuracy = share of answered pairs in which the listener picked the real excerpt (0.5 = cannot tell real from generated)");
        output.WriteLine();

        var models = new List<string[]> { new[] { "model", "versions", "pairs", "answered", "correct", "accuracy", "95% Wilson CI", "p (vs 0.5)" } };
        foreach (var m in report.Models)
            models.Add([m.Model, m.Versions.Count == 0 ? "-" : string.Join(",", m.Versions), N(m.Pairs), .. Cells(m.Accuracy), P(m.Accuracy)]);
        models.Add(["all", "", N(pairs), .. Cells(report.Overall), P(report.Overall)]);
        Table(output, models, left: 2);
        output.WriteLine();

        var listeners = new List<string[]> { new[] { "listener", "sessions", "answered", "correct", "accuracy", "95% Wilson CI" } };
        foreach (var l in report.Listeners) listeners.Add([l.Listener, N(l.Sessions), .. Cells(l.Accuracy)]);
        Table(output, listeners, left: 1);
        output.WriteLine();

        var sessions = new List<string[]> { new[] { "session", "listener", "started (UTC)", "seed", "seconds", "pairs", "answered", "correct", "accuracy", "95% Wilson CI" } };
        foreach (var s in report.Sessions)
            sessions.Add([s.Id[..Math.Min(8, s.Id.Length)], s.Listener, s.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", Ci), N(s.Seed), s.ExcerptSeconds.ToString("0.###", Ci), N(s.Pairs), .. Cells(s.Accuracy)]);
        Table(output, sessions, left: 3);
    }

    /// <summary>The report as JSON (every figure of the text tables, full session ids).</summary>
    public static JsonObject ToJson(ListeningReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        static JsonObject Prop(Proportion p) => new()
        {
            ["answered"] = p.Trials, ["correct"] = p.Successes,
            ["accuracy"] = p.Trials == 0 ? null : p.Estimate, ["ciLow"] = p.Low, ["ciHigh"] = p.High, ["pValue"] = p.PValue,
        };
        return new JsonObject
        {
            ["overall"] = Prop(report.Overall),
            ["models"] = new JsonArray([.. report.Models.Select(m => (JsonNode)new JsonObject
            {
                ["model"] = m.Model, ["versions"] = new JsonArray([.. m.Versions.Select(v => (JsonNode)JsonValue.Create(v))]), ["pairs"] = m.Pairs, ["accuracy"] = Prop(m.Accuracy),
            })]),
            ["listeners"] = new JsonArray([.. report.Listeners.Select(l => (JsonNode)new JsonObject { ["listener"] = l.Listener, ["sessions"] = l.Sessions, ["accuracy"] = Prop(l.Accuracy) })]),
            ["sessions"] = new JsonArray([.. report.Sessions.Select(s => (JsonNode)new JsonObject
            {
                ["session"] = s.Id, ["listener"] = s.Listener, ["createdUtc"] = s.CreatedUtc.ToString("O", Ci), ["seed"] = s.Seed,
                ["excerptSeconds"] = s.ExcerptSeconds, ["pairs"] = s.Pairs, ["accuracy"] = Prop(s.Accuracy),
            })]),
        };
    }

    private static string N(int n) => n.ToString(Ci);

    private static string[] Cells(Proportion p) => p.Trials == 0
        ? [N(0), N(0), "-", "-"]
        : [N(p.Trials), N(p.Successes), p.Estimate.ToString("0.000", Ci), $"[{p.Low.ToString("0.000", Ci)}, {p.High.ToString("0.000", Ci)}]"];

    private static string P(Proportion p) => p.Trials == 0 ? "-" : p.PValue.ToString("0.000", Ci);

    private static void Table(TextWriter output, List<string[]> rows, int left)
    {
        var widths = new int[rows[0].Length];
        foreach (var r in rows)
            for (var i = 0; i < r.Length; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        foreach (var r in rows)
            output.WriteLine(string.Join("  ", r.Select((c, i) => i < left ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
    }
}
