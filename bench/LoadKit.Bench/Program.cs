// LoadKit.Bench: LoadKit measured the way a user runs it, for bench/run.sh. Each mode ends with one line
// "BENCH key=value ..." that bench/report.py reads.
//
//   http    --url URL [--connections 50] [--duration 10] [--rate 0 (max) | N per second] [--max-users connections; at a rate: 10 x connections]
//           [--warm-up 0 (seconds, measured apart)] [--engine httpclient | loadkit (LoadKit's own HTTP/1.1 engine)]
//   density --users N [--duration 10] [--think duration]
//   skew    --workers N [--duration 5] [--rate 1000]
using LoadKit.Bench;

try
{
    var parsed = BenchArgs.Parse(args);
    return parsed.Mode switch
    {
        "http" => await HttpMode.RunAsync(parsed),
        "density" => await DensityMode.RunAsync(parsed),
        "skew" => await SkewMode.RunAsync(parsed),
        _ => throw new ArgumentException($"mode '{parsed.Mode}': allowed modes are http, density and skew."),
    };
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync($"LoadKit.Bench: {exception.Message}");
    return 2;
}
