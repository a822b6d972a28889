using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataExchangeTasker.Api.Http;

/// <summary>
/// Builds the Kestrel app: endpoints, 1 MiB body limit, and one error path that turns anything thrown into a JSON
/// error (the server never crashes on input), plus JSON bodies for the empty 404/405 of routing.
/// </summary>
internal static class ApiServer
{
    /// <summary>The configured app, not started.</summary>
    public static WebApplication Build(ApiServices services)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "tasker-api" });
        // Serilog is the process's log; ASP.NET Core's own console logging would duplicate and reformat it.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(services.Options.Bind);
            k.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            k.AddServerHeader = false;
        });
                builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await ApiErrors.WriteAsync(context, e.StatusCode, e.Message).ConfigureAwait(false);
            }
            catch (StoreUnavailableException e) when (!context.Response.HasStarted)
            {
                services.Health.StoreError = e.Message;
                services.Log.Warning("{Method:l} {Path:l}: {Error}", context.Request.Method, context.Request.Path.Value, e.Message);
                context.Response.Headers.RetryAfter = "5";
                await ApiErrors.WriteAsync(context, 503, "the task store is not available", "a retry later").ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                services.Log.Error(e, "{Method:l} {Path:l} failed", context.Request.Method, context.Request.Path.Value);
                await ApiErrors.WriteAsync(context, 500, "internal error: " + e.GetType().Name).ConfigureAwait(false);
            }

            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentType is null)
            {
                var status = context.Response.StatusCode;
                await ApiErrors.WriteAsync(context, status, status switch
                {
                    404 => $"no endpoint {context.Request.Path.Value}",
                    405 => $"{context.Request.Method} is not allowed on {context.Request.Path.Value}",
                    _ => "request failed",
                }, "an endpoint and method of /openapi.json").ConfigureAwait(false);
            }

            services.Metrics.Response(context.Response.StatusCode);
        });

        TaskEndpoints.Map(app, services);
        ScheduleEndpoints.Map(app, services);
        AdminEndpoints.Map(app, services);
        HealthEndpoints.Map(app, services);
        StatusEndpoints.Map(app, services);
        return app;
    }
}
