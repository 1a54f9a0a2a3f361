/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <ctype.h>
#include <string.h>

#include "module/tool/clients.h"

/*! TTL suggested for the record in the main zone. */
#define RECORD_TTL	3600

unsigned tool_clients_parse(const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "certbot", CLIENT_CERTBOT },
		{ "lego", CLIENT_LEGO },
		{ "acme.sh", CLIENT_ACMESH },
		{ "cert-manager", CLIENT_CERTMANAGER },
		{ "all", CLIENT_ALL },
	};
	unsigned mask = 0;
	const char *p = list;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		size_t i = 0;
		while (i < sizeof(names) / sizeof(names[0]) &&
		       !(strlen(names[i].name) == len && strncmp(names[i].name, p, len) == 0)) {
			i++;
		}
		if (i == sizeof(names) / sizeof(names[0])) {
			return 0;
		}
		mask |= names[i].bit;
		p += len;
		if (*p == ',') {
			p++;
		}
	}
	return mask;
}

/*! A Kubernetes object name from a domain name: lower case, '-' for others. */
static void k8s_name(char *out, size_t size, const char *prefix, const char *base)
{
	size_t len = snprintf(out, size, "%s", prefix);
	for (const char *p = base; *p != '\0' && len + 1 < size; p++) {
		out[len++] = isalnum((unsigned char)*p) ? tolower((unsigned char)*p) : '-';
	}
	out[len] = '\0';
}

static void print_record(FILE *out, const tool_reg_info_t *r)
{
	fprintf(out, "# 1. Add to the main zone (the zone of %s):\n\n", r->base);
	if (r->delegate) {
		for (size_t i = 0; i < r->ns_count; i++) {
			fprintf(out, "%s %u IN NS %s\n", r->challenge, RECORD_TTL, r->ns[i]);
		}
		fprintf(out, "\n# If the main zone is DNSSEC-signed, add no DS record for %s:\n"
		        "# the challenge zone is unsigned, so the delegation is insecure, which\n"
		        "# is what CAs validate against (a DS would make every answer bogus).\n",
		        r->challenge);
	} else {
		fprintf(out, "%s %u IN CNAME %s\n", r->challenge, RECORD_TTL, r->target);
	}
	fputc('\n', out);
}

static void print_certbot(FILE *out, const tool_reg_info_t *r)
{
	fprintf(out, "# --- certbot (dns-rfc2136 plugin) ---\n");
	if (!r->delegate) {
		fprintf(out, "# certbot's rfc2136 plugin does not follow CNAMEs: it writes to\n"
		        "# %s itself, which this setup (--alias) does not serve.\n"
		        "# Use lego or acme.sh, or register with --delegate for certbot.\n\n",
		        r->challenge);
		return;
	}
	fprintf(out, "# Save as /etc/letsencrypt/%s.ini (chmod 600), then run:\n"
	        "#   certbot certonly --dns-rfc2136 --dns-rfc2136-credentials "
	        "/etc/letsencrypt/%s.ini -d '%s'\n",
	        r->id, r->id, r->name);
	fprintf(out, "dns_rfc2136_server = %s\n"
	        "dns_rfc2136_port = %u\n"
	        "dns_rfc2136_name = %s\n"
	        "dns_rfc2136_secret = %s\n"
	        "dns_rfc2136_algorithm = HMAC-SHA256\n\n",
	        r->server, r->port, r->key_name, r->secret);
}

static void print_lego(FILE *out, const tool_reg_info_t *r)
{
	fprintf(out, "# --- lego (rfc2136 provider) ---\n"
	        "# Set in lego's environment, then run:\n"
	        "#   lego --dns rfc2136 --domains '%s' --email you@example.org run\n", r->name);
	bool v6 = strchr(r->server, ':') != NULL;
	fprintf(out, "RFC2136_NAMESERVER=%s%s%s:%u\n"
	        "RFC2136_TSIG_KEY=%s\n"
	        "RFC2136_TSIG_SECRET=%s\n"
	        "RFC2136_TSIG_ALGORITHM=hmac-sha256.\n\n",
	        v6 ? "[" : "", r->server, v6 ? "]" : "", r->port,
	        r->key_name, r->secret);
}

static void print_acmesh(FILE *out, const tool_reg_info_t *r)
{
	fprintf(out, "# --- acme.sh (dns_nsupdate) ---\n"
	        "# Save the key as ~/.acme.sh/%s.key (chmod 600):\n", r->id);
	fprintf(out, "key \"%s\" { algorithm hmac-sha256; secret \"%s\"; };\n",
	        r->key_name, r->secret);
	/* acme.sh appends the root dot to the zone and to the alias itself. */
	fprintf(out, "# then run:\n"
	        "export NSUPDATE_SERVER=\"%s\"\n"
	        "export NSUPDATE_SERVER_PORT=%u\n"
	        "export NSUPDATE_KEY=\"$HOME/.acme.sh/%s.key\"\n"
	        "export NSUPDATE_ZONE=\"%.*s\"\n",
	        r->server, r->port, r->id, (int)strlen(r->zone) - 1, r->zone);
	if (r->delegate) {
		fprintf(out, "acme.sh --issue --dns dns_nsupdate -d '%s'\n\n", r->name);
	} else {
		fprintf(out, "acme.sh --issue --dns dns_nsupdate -d '%s' --domain-alias %.*s\n\n",
		        r->name, (int)strlen(r->target) - 1, r->target);
	}
}

static void print_certmanager(FILE *out, const tool_reg_info_t *r)
{
	char name[256];
	k8s_name(name, sizeof(name), "knot-acme-", r->base);
	fprintf(out, "# --- cert-manager (RFC2136 Issuer and its Secret) ---\n"
	        "# kubectl apply -f this (set the ACME server and email first):\n");
	fprintf(out, "apiVersion: v1\n"
	        "kind: Secret\n"
	        "metadata:\n"
	        "  name: %s-tsig\n"
	        "type: Opaque\n"
	        "stringData:\n"
	        "  tsig-secret: \"%s\"\n"
	        "---\n", name, r->secret);
	fprintf(out, "apiVersion: cert-manager.io/v1\n"
	        "kind: Issuer\n"
	        "metadata:\n"
	        "  name: %s\n"
	        "spec:\n"
	        "  acme:\n"
	        "    server: https://acme-v02.api.letsencrypt.org/directory\n"
	        "    email: you@example.org\n"
	        "    privateKeySecretRef:\n"
	        "      name: %s-account\n"
	        "    solvers:\n"
	        "      - selector:\n"
	        "          dnsNames: [\"%s\"]\n"
	        "        dns01:\n"
	        "%s"
	        "          rfc2136:\n"
	        "            nameserver: \"%s%s%s:%u\"\n"
	        "            tsigKeyName: \"%s\"\n"
	        "            tsigAlgorithm: HMACSHA256\n"
	        "            tsigSecretSecretRef:\n"
	        "              name: %s-tsig\n"
	        "              key: tsig-secret\n\n",
	        name, name, r->name,
	        r->delegate ? "" : "          cnameStrategy: Follow\n",
	        strchr(r->server, ':') != NULL ? "[" : "", r->server,
	        strchr(r->server, ':') != NULL ? "]" : "", r->port,
	        r->key_name, name);
}

void tool_print_onboarding(FILE *out, const tool_reg_info_t *r)
{
	print_record(out, r);
	fprintf(out, "# 2. Configure the ACME client (the key may write only %s):\n\n",
	        r->target);
	if (r->clients & CLIENT_CERTBOT) {
		print_certbot(out, r);
	}
	if (r->clients & CLIENT_LEGO) {
		print_lego(out, r);
	}
	if (r->clients & CLIENT_ACMESH) {
		print_acmesh(out, r);
	}
	if (r->clients & CLIENT_CERTMANAGER) {
		print_certmanager(out, r);
	}
}
