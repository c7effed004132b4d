# login-etl: build with the SDK, run on the ASP.NET Core runtime (Kestrel serves health and metrics) as a
# non-root user. The same commands as everywhere: the default is `run`; `migrate`, `produce`, ... as arguments.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LoginEtl.Runtime.props src/
COPY src/LoginEtl.Worker/LoginEtl.Worker.csproj src/LoginEtl.Worker/
# Restored for the image's architecture. Not compiled ahead of time (ReadyToRun): it costs a replica memory for as
# long as it runs, for a saving at start only (docs/performance.md, decision log).
ARG TARGETARCH
RUN case "$TARGETARCH" in arm64) echo linux-arm64 ;; *) echo linux-x64 ;; esac > /tmp/rid \
    && dotnet restore src/LoginEtl.Worker/LoginEtl.Worker.csproj -r "$(cat /tmp/rid)"
COPY src/ src/
RUN dotnet publish src/LoginEtl.Worker -c Release -r "$(cat /tmp/rid)" --self-contained false -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
# The probes and /metrics listen where ASP.NET Core's own setting says (the base image's value, repeated here
# because deploy/k8s and docker-compose.yml rely on it).
ENV DOTNET_ENVIRONMENT=Production \
    MASSTRANSIT_USAGE_TELEMETRY=false \
    ASPNETCORE_HTTP_PORTS=8080
# The collector's allocation budget between collections (gen0, 8 MiB) and the size of the regions its heap is made of
# (1 MiB): by default the budget follows the CPU's cache (16 MiB with a 32 MiB L3, more on larger parts) in regions of
# 4 MiB, which holds more of a replica's resident memory while it works; a budget of 4 MiB or 6 MiB cost a fifth more
# CPU a message (docs/performance.md, decision log). Environment only: .NET reads neither from runtimeconfig.json.
ENV DOTNET_GCgen0size=0x800000 \
    DOTNET_GCRegionSize=0x100000
# The image's unprivileged user (uid 1654).
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["./login-etl"]
CMD ["run"]
