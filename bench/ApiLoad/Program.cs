// Usage: ApiLoad BASE_URL API_KEY COUNT CONCURRENCY [RATE]
// Without RATE (closed loop): submits COUNT tasks with CONCURRENCY requests in flight, as fast as the api answers.
// With RATE (open loop): starts COUNT submits at RATE per second on a fixed schedule, whatever the answers do (at most
// CONCURRENCY in flight; a request that cannot start on time waits, and its latency counts from its scheduled time, so a
// stalled server is not hidden by fewer requests being sent). Prints one JSON line: submits/s, p50/p95/p99 latency (ms), errors.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

var baseUrl = new Uri(args[0]);
var key = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
var concurrency = int.Parse(args[3], CultureInfo.InvariantCulture);
var rate = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 0;
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
using var http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);
var body = Encoding.UTF8.GetBytes("{\"codePath\":\"demo1_code\",\"dataPath\":\"demo1_data\"}");

async Task<bool> SubmitAsync()
{
    using var content = new ByteArrayContent(body);
    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    using var response = await http.PostAsync("/v1/tasks", content);
    await response.Content.ReadAsByteArrayAsync();
    return response.StatusCode == HttpStatusCode.Accepted;
}

// Warm-up: connections, JIT on both sides.
for (var i = 0; i < Math.Min(200, count / 10); i++)
{
    await SubmitAsync();
}

var latencies = new double[count];
var errors = 0;
var clock = Stopwatch.StartNew();
if (rate <= 0)
{
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var start = Stopwatch.GetTimestamp();
            var ok = await SubmitAsync();
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!ok)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }));
}
else
{
    using var slots = new SemaphoreSlim(concurrency);
    var running = new List<Task>(count);
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds(i / rate);
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed);
        }

        await slots.WaitAsync();
        var index = i;
        running.Add(Task.Run(async () =>
        {
            try
            {
                var ok = await SubmitAsync();
                latencies[index] = (clock.Elapsed - due).TotalMilliseconds;
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
            finally
            {
                slots.Release();
            }
        }));
    }

    await Task.WhenAll(running);
}

var seconds = clock.Elapsed.TotalSeconds;
Array.Sort(latencies);
double P(double q) => latencies[Math.Min(count - 1, (int)(q * count))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"submits\":{count},\"concurrency\":{concurrency},\"rate\":{(rate > 0 ? rate.ToString(CultureInfo.InvariantCulture) : "null")},\"seconds\":{seconds:F2},\"perSecond\":{count / seconds:F0},\"p50Ms\":{P(0.50):F2},\"p95Ms\":{P(0.95):F2},\"p99Ms\":{P(0.99):F2},\"errors\":{errors}}}"));
