using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// A dedicated thread that runs one bound ONNX Runtime call per <see cref="Start"/>, so a decode step can run several
/// slices of its rows at once (one per core) on the same session. Start and Wait allocate nothing: the hand-offs are
/// two <see cref="SemaphoreSlim"/>s, whose blocking waits allocate nothing after construction (a
/// ManualResetEventSlim creates its lock object on the first blocking wait). An exception thrown by the run is
/// rethrown by <see cref="Wait"/>.
/// </summary>
internal sealed class StepWorker : IDisposable
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _go = new(0, 1);
    private readonly SemaphoreSlim _done = new(0, 1);
    private readonly RunOptions _runOptions = new();
    private InferenceSession? _session;
    private OrtIoBinding? _binding;
    private Exception? _error;
    private volatile bool _stopping;
    private bool _running;

    public StepWorker(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="session"/>.RunWithBinding(<paramref name="binding"/>) on the worker thread.</summary>
    public void Start(InferenceSession session, OrtIoBinding binding)
    {
        if (_running) throw new InvalidOperationException("The previous run was not waited for.");
        _session = session;
        _binding = binding;
        _running = true;
        _go.Release();
    }

    /// <summary>Waits for the run started last; rethrows its exception.</summary>
    public void Wait()
    {
        if (!_running) return;
        _done.Wait();
        _running = false;
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
            if (_stopping) return;
            try
            {
                _session!.RunWithBinding(_runOptions, _binding!);
            }
            catch (Exception e)
            {
                _error = e;
            }
            _done.Release();
        }
    }

    public void Dispose()
    {
        if (_running) _done.Wait();
        _running = false;
        _stopping = true;
        _go.Release();
        _thread.Join();
        _go.Dispose();
        _done.Dispose();
        _runOptions.Dispose();
    }
}
