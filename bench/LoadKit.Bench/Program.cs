// LoadKit.Bench: LoadKit measured the way a user runs it, for bench/run.sh. Each mode ends with one line
// "BENCH key=value ..." that bench/report.py reads.
//
//   http    --url URL [--connections 50] [--duration 10] [--rate 0 (max) | N per second] [--max-users connections; at a rate: 10 x connections]
//           [--warm-up 0 (seconds, measured apart)] [--engine httpclient | loadkit (LoadKit's own HTTP/1.1 engine)]
//           [--trust server.crt (an https:// server's certificate to trust)] [--socket-thread no | yes | auto (HttpSettings.ResponsesOnSocketThread false, true or null)] [--allocations no | yes (the types the runtime's allocation samples name)]
//   density --users N [--duration 10] [--think duration]
//   skew    --workers N [--duration 5] [--rate 1000]
//   fanin   --workers N [--rate 2000] [--duration 20]    N fake workers (one child process) streaming snapshots to one controller-side reader
//   longrun --workers N [--rate 2000] [--minutes 60]     a long distributed run: controller and worker CPU/s and RSS early vs late
using LoadKit.Bench;

try
{
    var parsed = BenchArgs.Parse(args);
    return parsed.Mode switch
    {
        "http" => await HttpMode.RunAsync(parsed),
        "density" => await DensityMode.RunAsync(parsed),
        "skew" => await SkewMode.RunAsync(parsed),
        "fanin" => await FanInMode.RunAsync(parsed),
        "fanin-workers" => await FanInMode.RunWorkersAsync(parsed),
        "longrun" => await LongRunMode.RunAsync(parsed),
        _ => throw new ArgumentException($"mode '{parsed.Mode}': allowed modes are http, density, skew, fanin and longrun."),
    };
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync($"LoadKit.Bench: {exception.Message}");
    return 2;
}
