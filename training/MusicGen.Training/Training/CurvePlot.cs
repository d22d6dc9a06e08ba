using ScottPlot;

namespace MusicGen.Training.Training;

/// <summary>Writes <c>curves.png</c> (train and valid loss by step) and <c>accuracy.png</c> with ScottPlot.</summary>
public static class CurvePlot
{
    /// <summary>Writes both images into <paramref name="dir"/>; returns the loss image's path (null without history).</summary>
    public static string? Write(IReadOnlyList<EvalRecord> history, string dir, string title)
    {
        if (history.Count == 0) return null;
        var steps = history.Select(h => (double)h.Step).ToArray();
        var loss = Path.Combine(dir, "curves.png");
        Plot2(steps, history.Select(h => h.TrainLoss).ToArray(), history.Select(h => h.ValidLoss).ToArray(),
            $"{title}: loss", "cross-entropy (nats/token)", loss);
        Plot2(steps, history.Select(h => h.TrainAccuracy).ToArray(), history.Select(h => h.ValidAccuracy).ToArray(),
            $"{title}: next-token accuracy", "accuracy", Path.Combine(dir, "accuracy.png"));
        return loss;
    }

    private static void Plot2(double[] x, double[] train, double[] valid, string title, string ylabel, string path)
    {
        var plot = new Plot();
        var t = plot.Add.Scatter(x, train);
        t.LegendText = "train";
        var v = plot.Add.Scatter(x, valid);
        v.LegendText = "valid";
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(ylabel);
        plot.ShowLegend();
        plot.SavePng(path, 900, 520);
    }
}
