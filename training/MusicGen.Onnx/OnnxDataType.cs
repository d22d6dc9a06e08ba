namespace MusicGen.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType) that our graphs use.</summary>
public enum OnnxDataType
{
    /// <summary>32-bit float.</summary>
    Float = 1,
    /// <summary>8-bit unsigned integer (packed quantized weights).</summary>
    UInt8 = 2,
    /// <summary>Boolean.</summary>
    Bool = 9,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 6,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 7,
    /// <summary>IEEE half precision.</summary>
    Float16 = 10,
}
