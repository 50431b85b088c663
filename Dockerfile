# Production-like image: gunicorn serving the portal, static files through WhiteNoise.
FROM python:3.11-slim
# Production settings (DEBUG off): SECRET_KEY and ALLOWED_HOSTS must come from the environment at run time.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=false
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
# A throwaway key for this build step only: it is not kept in the image's environment.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
EXPOSE 8000
# --timeout 30: above the database's statement_timeout (20 s) and lock_timeout (5 s), so a blocked request
# ends on the portal's French error page before gunicorn kills the worker.
CMD ["sh", "-c", "python manage.py migrate --noinput && gunicorn ror_portal.wsgi:application --bind 0.0.0.0:8000 --workers 3 --timeout 30 --access-logfile -"]
