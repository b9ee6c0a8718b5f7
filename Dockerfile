# One image for web (gunicorn), worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 helpdesk

# What production runs, and nothing of the test tools (requirements/dev.txt).
# python-ldap (company directory sign-in) has no wheels: it is built against Debian's
# OpenLDAP and SASL headers, which go again afterwards; their run-time libraries stay.
COPY requirements/base.txt requirements/base.txt
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libldap2-dev libsasl2-dev \
    && pip install -r requirements/base.txt \
    && apt-get purge -y --auto-remove gcc libc6-dev libldap2-dev libsasl2-dev \
    && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
    && rm -rf /var/lib/apt/lists/*

COPY . .
# Static files are collected into the image, and WhiteNoise serves them with far-future
# cache headers. The values below exist for this step only: settings refuse to load with
# DEBUG off and no SECRET_KEY, and collectstatic needs no database.
RUN DEBUG=0 SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/unused.sqlite3 \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media \
    && chown -R helpdesk:helpdesk /app/var

USER helpdesk
EXPOSE 8000
# gunicorn reads WEB_CONCURRENCY for its number of workers.
CMD ["gunicorn", "helpdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
