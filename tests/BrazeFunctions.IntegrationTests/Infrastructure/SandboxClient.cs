using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>Posts to a sandbox as the relay would, through HttpClient or as raw bytes when the header bytes are the subject.</summary>
internal sealed class SandboxClient(BrazeSandbox sandbox) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = sandbox.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public Task<HttpResponseMessage> PostAsync(string path, string json, string? key = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancellation = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key ?? sandbox.ApiKey);
        return _http.SendAsync(request, completion, cancellation);
    }

    /// <summary>The answer's status line and header lines exactly as they came over the wire (HttpClient normalises names).</summary>
    public async Task<string[]> RawHeadAsync(string path, string json)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(sandbox.BaseAddress.Host, sandbox.BaseAddress.Port);
        var stream = tcp.GetStream();
        var body = Encoding.UTF8.GetBytes(json);
        var head = $"POST {path} HTTP/1.1\r\nHost: {sandbox.BaseAddress.Authority}\r\nAuthorization: Bearer {sandbox.ApiKey}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync();
        return answer[..answer.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
    }

    public void Dispose() => _http.Dispose();

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public static string UsersTrack(params string[] users) =>
        "{\"attributes\":[" + string.Join(",", users.Select(u => $"{{\"external_id\":\"{u}\",\"plan\":\"gold\"}}")) + "]}";
}
