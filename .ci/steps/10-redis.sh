#!/usr/bin/env bash
# Redis-backed delivery deduplication: installs redis-server if missing,
# starts one on a free 127.0.0.1 port, runs the Redis tests (ignored in the
# plain `cargo test` run) against it with REDIS_URL, and stops it at the end.
# Some of those tests also start and stop redis-servers of their own.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=""
for candidate in $(seq 16379 16479); do
  if ! listening "$candidate"; then
    port=$candidate
    break
  fi
done
if [ -z "$port" ]; then
  echo "no free port for redis-server in 16379-16479" >&2
  exit 1
fi

dir=$(mktemp -d)
cleanup() {
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
for _ in $(seq 1 100); do
  listening "$port" && break
  sleep 0.1
done
listening "$port" || { echo "redis-server did not start" >&2; cat "$dir/redis.log" >&2; exit 1; }

REDIS_URL="redis://127.0.0.1:$port" timeout 900 \
  cargo test --all-features --test dedup_redis -- --include-ignored
