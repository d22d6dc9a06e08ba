using MusicGen.Core.Music;
using ScottPlot;

namespace MusicGen.Evaluation;

/// <summary>PNG figures of the evaluation report (ScottPlot).</summary>
public static class Plots
{
    private static readonly Color RealColor = new(31, 119, 180);
    private static readonly Color GeneratedColor = new(255, 127, 14);

    /// <summary>
    /// One panel per metric: the KDE of the real set's values against the generated set's (the curves whose
    /// overlapping area is <see cref="MetricComparison.ValueOverlap"/>), in a grid; saved as PNG.
    /// </summary>
    public static void MetricDistributions(string path, IReadOnlyList<string> names, IReadOnlyList<double[]> real, IReadOnlyList<double[]> generated, string realLabel = "real", string generatedLabel = "generated")
    {
        ArgumentNullException.ThrowIfNull(names);
        int columns = 4;
        int rows = (names.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(names.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int m = 0; m < names.Count; m++)
        {
            var plot = multiplot.GetPlot(m);
            var a = Numerics.Defined(real.Select(r => r[m]));
            var b = Numerics.Defined(generated.Select(r => r[m]));
            plot.Title(names[m], 11);
            if (a.Length == 0 && b.Length == 0)
            {
                plot.Add.Annotation($"{names[m]}: no defined values");
                plot.Axes.Frameless();
                plot.HideGrid();
                continue;
            }

            double lo = a.Concat(b).Min(), hi = a.Concat(b).Max();
            double pad = hi > lo ? 0.1 * (hi - lo) : 0.5;
            lo -= pad;
            hi += pad;
            AddDensity(plot, a, lo, hi, RealColor, $"{realLabel} ({a.Length})");
            AddDensity(plot, b, lo, hi, GeneratedColor, $"{generatedLabel} ({b.Length})");
            plot.Axes.Left.TickLabelStyle.IsVisible = false;
            if (m == 0)
            {
                plot.ShowLegend(Alignment.UpperRight);
            }
            else
            {
                plot.HideLegend();
            }
        }

        multiplot.SavePng(path, columns * 320, rows * 240);
    }

    /// <summary>A piano roll of <paramref name="score"/> (time in quarter notes, pitch), drums left out; saved as PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="score">The piece.</param>
    /// <param name="title">Title above the roll.</param>
    /// <param name="maxQuarters">Only the first this many quarter notes are drawn.</param>
    public static void PianoRoll(string path, Score score, string title, double maxQuarters = 64)
    {
        ArgumentNullException.ThrowIfNull(score);
        var plot = new Plot();
        plot.Title(title, 12);
        plot.XLabel("quarter notes");
        plot.YLabel("pitch");
        Color[] palette = [RealColor, GeneratedColor, new(44, 160, 44), new(214, 39, 40), new(148, 103, 189), new(140, 86, 75)];
        int lo = 127, hi = 0;
        double end = 0;
        int trackNo = 0;
        foreach (var track in score.Tracks.Where(t => !t.IsDrum && t.Notes.Count > 0))
        {
            var color = palette[trackNo++ % palette.Length];
            foreach (var n in track.Notes)
            {
                double s = (double)n.Start / score.TicksPerQuarter;
                if (s >= maxQuarters)
                {
                    continue;
                }

                double e = Math.Min((double)n.End / score.TicksPerQuarter, maxQuarters);
                var r = plot.Add.Rectangle(s, e, n.Pitch - 0.4, n.Pitch + 0.4);
                r.FillColor = color.WithAlpha(0.8);
                r.LineWidth = 0;
                lo = Math.Min(lo, n.Pitch);
                hi = Math.Max(hi, n.Pitch);
                end = Math.Max(end, e);
            }
        }

        if (hi < lo)
        {
            plot.Add.Annotation("no pitched notes");
        }
        else
        {
            plot.Axes.SetLimits(0, Math.Max(end, 1), lo - 2, hi + 2);
        }

        plot.SavePng(path, 1000, 360);
    }

    private static void AddDensity(Plot plot, double[] values, double lo, double hi, Color color, string label)
    {
        if (values.Length == 0)
        {
            return;
        }

        const int points = 200;
        var kde = new GaussianKde(values, (hi - lo) / 100, lo, hi);
        var xs = new double[points];
        var ys = new double[points];
        for (int i = 0; i < points; i++)
        {
            xs[i] = lo + ((hi - lo) * i / (points - 1));
            ys[i] = kde.Density(xs[i]);
        }

        var line = plot.Add.ScatterLine(xs, ys);
        line.Color = color;
        line.LineWidth = 2;
        line.LegendText = label;
    }
}
