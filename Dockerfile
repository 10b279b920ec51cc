FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
COPY workers ./workers
COPY waakvlam ./waakvlam
RUN pip install --no-cache-dir . && useradd --create-home waakvlam
USER waakvlam
EXPOSE 8000
CMD ["waakvlam", "api"]
