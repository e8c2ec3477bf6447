# Image for the `elt` and `dashboard` services of docker-compose.yml.
FROM node:20-bookworm-slim
RUN npm install -g pnpm@10
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile --reporter=default
ENTRYPOINT []
