using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// Where a fast decoder keeps its KV buffers and step I/O. On the CPU provider: calloc'ed host memory. On CUDA: the
/// KV buffers in device memory from ONNX Runtime's CUDA allocator (allocated once per batch, bound as past and
/// present, never copied to the host), token ids, lengths and logits in pinned host memory (ONNX Runtime's
/// CUDA_PINNED allocator) so each step's small transfers go at full speed; moving a row's cache (a sequence leaving)
/// is a device-to-device copy.
/// </summary>
internal sealed class KvMemory : IDisposable
{
    private readonly OrtMemoryInfo? _deviceInfo;
    private readonly OrtAllocator? _device;
    private readonly OrtMemoryInfo? _pinnedInfo;
    private readonly OrtAllocator? _pinned;

    private KvMemory(OrtMemoryInfo? deviceInfo, OrtAllocator? device, OrtMemoryInfo? pinnedInfo, OrtAllocator? pinned)
    {
        _deviceInfo = deviceInfo;
        _device = device;
        _pinnedInfo = pinnedInfo;
        _pinned = pinned;
    }

    /// <summary>Host memory for the CPU provider.</summary>
    public static KvMemory Host() => new(null, null, null, null);

    /// <summary>Device memory from <paramref name="session"/>'s CUDA allocator on <paramref name="deviceId"/>.</summary>
    public static KvMemory Cuda(InferenceSession session, int deviceId)
    {
        var deviceInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
        OrtAllocator device;
        try
        {
            device = new OrtAllocator(session, deviceInfo);
        }
        catch
        {
            deviceInfo.Dispose();
            throw;
        }
        OrtMemoryInfo? pinnedInfo = null;
        OrtAllocator? pinned = null;
        try
        {
            pinnedInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.CpuOutput);
            pinned = new OrtAllocator(session, pinnedInfo);
        }
        catch (OnnxRuntimeException)
        {
            // no pinned allocator in this session: plain host memory still works, with slower transfers
            pinnedInfo?.Dispose();
            pinnedInfo = null;
        }
        return new KvMemory(deviceInfo, device, pinnedInfo, pinned);
    }

    /// <summary>True when the KV buffers live in device memory.</summary>
    public bool OnDevice => _device is not null;

    /// <summary>Memory info of the KV buffers (what their OrtValues are created with).</summary>
    public OrtMemoryInfo KvInfo => _deviceInfo ?? OrtMemoryInfo.DefaultInstance;

    /// <summary>A KV buffer of <paramref name="bytes"/> bytes (zeroed on the host; on the device its contents are undefined until written).</summary>
    public NativeBuffer AllocateKv(long bytes) => _device is null ? new NativeBuffer(bytes) : new NativeBuffer(_device, bytes, "device memory for the KV cache");

    /// <summary>A host buffer the CPU reads and writes every step (pinned when on CUDA).</summary>
    public NativeBuffer AllocateHost(long bytes) => _pinned is null ? new NativeBuffer(bytes) : new NativeBuffer(_pinned, bytes, "pinned host memory");

    /// <summary>Copies <paramref name="bytes"/> bytes between two places of KV memory.</summary>
    public unsafe void CopyKv(nint destination, nint source, long bytes)
    {
        if (_device is null) Buffer.MemoryCopy((void*)source, (void*)destination, bytes, bytes);
        else CudaRuntime.CopyDeviceToDevice(destination, source, bytes);
    }

    /// <summary>Waits for the copies of <see cref="CopyKv"/> (on CUDA they are asynchronous to the host) before the next run.</summary>
    public void FinishCopies()
    {
        if (_device is not null) CudaRuntime.Synchronize();
    }

    public void Dispose()
    {
        _pinned?.Dispose();
        _pinnedInfo?.Dispose();
        _device?.Dispose();
        _deviceInfo?.Dispose();
    }
}

/// <summary>The few CUDA runtime calls ONNX Runtime's C# API lacks (device-to-device copies), from the CUDA 13 runtime the provider loads.</summary>
internal static partial class CudaRuntime
{
    private const string Library = "libcudart.so.13";
    private const int DeviceToDevice = 3; // cudaMemcpyDeviceToDevice

    public static void CopyDeviceToDevice(nint destination, nint source, long bytes) =>
        Check(cudaMemcpy(destination, source, (nuint)bytes, DeviceToDevice), "cudaMemcpy (device to device)");

    public static void Synchronize() => Check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");

    private static void Check(int error, string call)
    {
        if (error != 0) throw new InvalidOperationException($"{call} failed with CUDA error {error}.");
    }

    [LibraryImport(Library)]
    private static partial int cudaMemcpy(nint dst, nint src, nuint count, int kind);

    [LibraryImport(Library)]
    private static partial int cudaDeviceSynchronize();
}
