# flow168 image: the API (launcher.py) and the worker (worker.py) share it.
FROM python:3.11-slim
# DEMO=false: no demo accounts (password demo168) in an image; .dockerignore keeps .env, var/ and .venv out of it.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data HOST=0.0.0.0 DEMO=false
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . && useradd --system flow168 && mkdir -p /data && chown flow168 /data
USER flow168
EXPOSE 8000
CMD ["python", "launcher.py"]
