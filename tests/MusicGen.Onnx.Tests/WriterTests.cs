using Microsoft.ML.OnnxRuntime;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

public sealed class WriterTests
{
    [Fact]
    public void TinyModelLoadsAndComputes()
    {
        var g = new OnnxGraphBuilder("tiny");
        var x = g.Input("x", OnnxDataType.Float, "batch", 3);
        var w = g.Initializer("w", [1f, 2f, 3f, 4f, 5f, 6f], 3, 2);
        var b = g.Initializer("b", [0.5f, -0.5f], 2);
        var y = g.Op("Add", g.Op("MatMul", x, w), b);
        var s = g.Op("Softmax", [y], ("axis", -1));
        g.Node("Identity", [s], ["y"]);
        g.Output("y", OnnxDataType.Float, "batch", 2);

        using var session = OrtHarness.CreateClean(g.ToModelBytes());
        using var input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 0, -1, 2, 1, 0 }, [2, 3]);
        using var runOptions = new RunOptions(); // alive until the run returns (an inline instance may be finalized mid-run)
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        var r = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        // row 0: [1,0,-1] @ w + b = [1-5+0.5, 2-6-0.5] = [-3.5, -4.5]
        float e0 = MathF.Exp(-3.5f), e1 = MathF.Exp(-4.5f);
        Assert.Equal(e0 / (e0 + e1), r[0], 5);
        Assert.Equal(e1 / (e0 + e1), r[1], 5);
        // row 1: [2,1,0] @ w + b = [2+3+0.5, 4+4-0.5] = [5.5, 7.5]
        float f0 = MathF.Exp(5.5f - 7.5f);
        Assert.Equal(f0 / (f0 + 1), r[2], 5);
    }

    [Fact]
    public void UndefinedInputIsRejected()
    {
        var g = new OnnxGraphBuilder("bad");
        g.Input("x", OnnxDataType.Float, 1);
        var e = Assert.Throws<InvalidOperationException>(() => g.Op("Add", "x", "nope"));
        Assert.Contains("nope", e.Message);
    }
}

public sealed class LogCaptureTests
{
    /// <summary>The warning check of the other tests is only meaningful if ORT's warnings actually reach us.</summary>
    [Fact]
    public void UnusedInitializerWarningIsCaptured()
    {
        var g = new OnnxGraphBuilder("unused");
        var x = g.Input("x", OnnxDataType.Float, 2);
        g.Initializer("never_used", [1f, 2f], 2);
        g.Node("Identity", [x], ["y"]);
        g.Output("y", OnnxDataType.Float, 2);
        using var s = OrtHarness.Create(g.ToModelBytes(), out var warnings);
        Assert.Contains(warnings, w => w.Contains("never_used", StringComparison.Ordinal));
    }
}
