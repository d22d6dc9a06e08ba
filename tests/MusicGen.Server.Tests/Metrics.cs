using System.Globalization;

namespace MusicGen.Server.Tests;

/// <summary>Reads values from the Prometheus text at /metrics.</summary>
internal static class Metrics
{
    /// <summary>Sum of the samples of <paramref name="name"/> whose labels contain every one of <paramref name="labels"/>.</summary>
    public static async Task<double> ReadAsync(HttpClient client, string name, params string[] labels)
    {
        var text = await client.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = line[name.Length..];
            if (rest.Length > 0 && rest[0] != '{' && rest[0] != ' ') continue;
            if (!labels.All(l => rest.Contains(l, StringComparison.Ordinal))) continue;
            var value = line[(line.LastIndexOf(' ') + 1)..];
            sum += double.Parse(value, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
