# login-etl: build with the SDK, run on the ASP.NET Core runtime (Kestrel serves health and metrics) as a
# non-root user. The same commands as everywhere: the default is `run`; `migrate`, `produce`, ... as arguments.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LoginEtl.Worker/LoginEtl.Worker.csproj src/LoginEtl.Worker/
RUN dotnet restore src/LoginEtl.Worker/LoginEtl.Worker.csproj
COPY src/ src/
RUN dotnet publish src/LoginEtl.Worker -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
ENV DOTNET_ENVIRONMENT=Production \
    MASSTRANSIT_USAGE_TELEMETRY=false \
    Health__Port=8080
# The image's unprivileged user (uid 1654).
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["./login-etl"]
CMD ["run"]
