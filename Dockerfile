# One image for every layer; compose.yaml picks the layer by command.
FROM denoland/deno:2.9.6
WORKDIR /app
COPY deno.json deno.lock ./
COPY . .
# Fetch npm packages (with farmhash's native part) into ./node_modules at build time, and the
# healthcheck compose.yaml runs.
RUN deno cache main.ts api/main.ts logic/main.ts task/main.ts connect/main.ts scripts/healthcheck.ts
# The web client's bundle, served at / by the api and the embedded server: built here, once, so
# that no process rebuilds it at start (the `start` and `api` tasks would).
RUN deno task build:web
EXPOSE 8080
# The embedded mode with the permissions of the `start` task, started directly: `deno task
# start` would run build:web first at every start.
CMD ["deno", "run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "--allow-sys", "main.ts"]
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
  CMD ["deno", "run", "--allow-net=127.0.0.1", "scripts/healthcheck.ts", "http://127.0.0.1:8080/readyz"]
