# The pages' front-end files (web/vendor.sh), from npm as package-lock.json pins them; the tools are not needed.
FROM node:22-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --omit=dev --no-audit --no-fund
COPY web/vendor.sh ./
RUN sh vendor.sh node_modules vendor

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
COPY web ./web
COPY --from=assets /assets/vendor ./web/static/vendor
COPY workers ./workers
COPY waakvlam ./waakvlam
RUN pip install --no-cache-dir . && useradd --create-home waakvlam && mkdir /checkpoints && chown waakvlam /checkpoints
USER waakvlam
EXPOSE 8000
CMD ["waakvlam", "api"]
