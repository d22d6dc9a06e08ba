using static TorchSharp.torch;
var t = ones(3, 4);
Console.WriteLine($"{t.sum().item<float>()} threads={get_num_threads()} {TorchSharp.torch.__version__}");
