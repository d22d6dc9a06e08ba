using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// A dedicated thread that runs one bound ONNX Runtime call per <see cref="Start"/>, so a decode step can run several
/// slices of its rows at once (one per core) on the same session. Start and Wait allocate nothing; an exception
/// thrown by the run is rethrown by <see cref="Wait"/>.
/// </summary>
internal sealed class StepWorker : IDisposable
{
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _go = new(false, spinCount: 2000);
    private readonly ManualResetEventSlim _done = new(true, spinCount: 2000);
    private readonly RunOptions _runOptions = new();
    private InferenceSession? _session;
    private OrtIoBinding? _binding;
    private Exception? _error;
    private volatile bool _stopping;

    public StepWorker(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="session"/>.RunWithBinding(<paramref name="binding"/>) on the worker thread.</summary>
    public void Start(InferenceSession session, OrtIoBinding binding)
    {
        _session = session;
        _binding = binding;
        _done.Reset();
        _go.Set();
    }

    /// <summary>Waits for the run started last; rethrows its exception.</summary>
    public void Wait()
    {
        _done.Wait();
        if (_error is { } e)
        {
            _error = null;
            ExceptionDispatchInfo.Throw(e);
        }
    }

    private void Loop()
    {
        while (true)
        {
            _go.Wait();
            _go.Reset();
            if (_stopping) return;
            try
            {
                _session!.RunWithBinding(_runOptions, _binding!);
            }
            catch (Exception e)
            {
                _error = e;
            }
            _done.Set();
        }
    }

    public void Dispose()
    {
        _done.Wait();
        _stopping = true;
        _go.Set();
        _thread.Join();
        _go.Dispose();
        _done.Dispose();
        _runOptions.Dispose();
    }
}
