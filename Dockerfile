# One image for every layer; compose.yaml picks the layer by command.
FROM denoland/deno:2.9.6
WORKDIR /app
COPY deno.json deno.lock ./
COPY . .
# Fetch npm packages (with farmhash's native part) into ./node_modules at build time.
RUN deno cache main.ts api/main.ts logic/main.ts task/main.ts connect/main.ts
# The web client's bundle, served by the api at / (the start and api tasks rebuild it when its sources change).
RUN deno task build:web
EXPOSE 8080
CMD ["deno", "task", "start"]
