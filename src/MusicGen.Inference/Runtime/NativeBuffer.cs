using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// Native memory that ONNX Runtime can read and write in place. By default zeroed host memory allocated with calloc:
/// a large buffer (a KV cache sized for every slot at full context) is mapped lazily by the OS, so only the pages rows
/// actually fill are committed. Or a block from an ONNX Runtime allocator (CUDA device or pinned host memory,
/// <see cref="KvMemory"/>); <see cref="AsSpan{T}"/> is only for host memory.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private OrtMemoryAllocation? _allocation;

    public NativeBuffer(long bytes)
    {
        Bytes = Math.Max(bytes, 64);
        Pointer = (nint)NativeMemory.AllocZeroed((nuint)Bytes);
    }

    /// <summary>A block of <paramref name="bytes"/> from <paramref name="allocator"/>; <paramref name="what"/> names it in errors.</summary>
    public NativeBuffer(OrtAllocator allocator, long bytes, string what)
    {
        Bytes = Math.Max(bytes, 64);
        if (Bytes > uint.MaxValue)
            throw new InvalidOperationException($"{what}: one buffer of {Bytes} bytes is over the 4 GiB ONNX Runtime's allocator takes at once; lower MaxBatchSize or MaxSequenceLength.");
        _allocation = allocator.Allocate((uint)Bytes);
        Pointer = _allocation.DangerousGetHandle(); // the allocation handle is the block's address
    }

    public nint Pointer { get; private set; }

    public long Bytes { get; }

    public Span<T> AsSpan<T>(long offsetElements, int length) where T : unmanaged =>
        new((void*)(Pointer + (nint)(offsetElements * sizeof(T))), length);

    public void Dispose()
    {
        if (_allocation is not null)
        {
            _allocation.Dispose();
            _allocation = null;
            Pointer = 0;
        }
        else if (Pointer != 0)
        {
            NativeMemory.Free((void*)Pointer);
            Pointer = 0;
        }
    }
}
