"""Paste filter standing in for keystonemiddleware's auth_token in Python Sahara's pipeline
(the API benchmark; ../shared/reference/peers.md did the same). Like our `auth_strategy =
noauth`, it trusts the identity headers the request carries (X-User-Id, X-Tenant-Id, X-Roles,
X-Auth-Token, X-Service-Catalog, ...; the benchmark sends the same ones to both servers) and
only adds what keystonemiddleware would put in the WSGI environment besides them: the caller's
auth plugin, `keystone.token_auth`, through which Sahara's clients (novaclient for the flavor
check) reach the cloud. Here that is a token-endpoint plugin on the fake Nova.
"""

from keystoneauth1 import token_endpoint


class BenchNoAuth(object):
    def __init__(self, app, nova_endpoint):
        self.app = app
        self.nova_endpoint = nova_endpoint

    def __call__(self, environ, start_response):
        environ["keystone.token_auth"] = token_endpoint.Token(
            endpoint=self.nova_endpoint, token=environ.get("HTTP_X_AUTH_TOKEN", ""))
        environ.setdefault("HTTP_X_IDENTITY_STATUS", "Confirmed")
        return self.app(environ, start_response)


def filter_factory(global_conf, **local_conf):
    endpoint = local_conf["nova_endpoint"]
    return lambda app: BenchNoAuth(app, endpoint)
