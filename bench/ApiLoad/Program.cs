// Usage: ApiLoad BASE_URL API_KEY COUNT CONCURRENCY
// Submits COUNT tasks with CONCURRENCY requests in flight; prints one JSON line: submits/s, p50/p95/p99 latency (ms), errors.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

var baseUrl = new Uri(args[0]);
var key = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
var concurrency = int.Parse(args[3], CultureInfo.InvariantCulture);
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
using var http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);
var body = Encoding.UTF8.GetBytes("{\"codePath\":\"demo1_code\",\"dataPath\":\"demo1_data\"}");

async Task<(double Ms, bool Ok)> SubmitAsync()
{
    using var content = new ByteArrayContent(body);
    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    var start = Stopwatch.GetTimestamp();
    using var response = await http.PostAsync("/v1/tasks", content);
    await response.Content.ReadAsByteArrayAsync();
    return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, response.StatusCode == HttpStatusCode.Accepted);
}

// Warm-up: connections, JIT on both sides.
for (var i = 0; i < Math.Min(200, count / 10); i++)
{
    await SubmitAsync();
}

var latencies = new double[count];
var errors = 0;
var next = -1;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < count)
    {
        var (ms, ok) = await SubmitAsync();
        latencies[i] = ms;
        if (!ok)
        {
            Interlocked.Increment(ref errors);
        }
    }
}));
var seconds = clock.Elapsed.TotalSeconds;
Array.Sort(latencies);
double P(double q) => latencies[Math.Min(count - 1, (int)(q * count))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"submits\":{count},\"concurrency\":{concurrency},\"seconds\":{seconds:F2},\"perSecond\":{count / seconds:F0},\"p50Ms\":{P(0.50):F2},\"p95Ms\":{P(0.95):F2},\"p99Ms\":{P(0.99):F2},\"errors\":{errors}}}"));
