"""Sign-in on AWS: the Cognito user pool, its public app client and each context option.

The default (cdk.json) is checked on the session's one full synthesis; the context
variants synthesize only the Identity construct in a bare stack (no assets, fast).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra.aws.functions import API
from infra.aws.identity import PRE_SIGN_UP, Identity, IdentityConfig, IdentityConfigError
from rillet.runtime import settings as s
from tests.infra.conftest import Synthesis


def _one(synthesis_resources: dict[str, dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [r["Properties"] for r in synthesis_resources.values() if r["Type"] == kind]
    assert len(found) == 1, (kind, len(found))
    return found[0]


def test_user_pool_defaults(synthesis: Synthesis) -> None:
    pool = _one(synthesis.resources, "AWS::Cognito::UserPool")
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    # Default sign-up policy: invite-only, and federated sign-ups refused by the trigger.
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "PreSignUp" in pool["LambdaConfig"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_public_app_client_uses_code_flow_without_secret(synthesis: Synthesis) -> None:
    client = _one(synthesis.resources, "AWS::Cognito::UserPoolClient")
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    callbacks = client["CallbackURLs"]
    assert "http://localhost:53682/callback" in callbacks  # rillet login
    # <distribution>/callback: the web app's, built from the CloudFront domain.
    distribution = synthesis.logical_id(synthesis.stack.cdn.distribution)
    web = [c for c in callbacks if isinstance(c, dict)]
    assert len(web) == 1 and distribution in json.dumps(web[0]) and "/callback" in json.dumps(web)
    assert client["EnableTokenRevocation"] is True
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_managed_login_domain(synthesis: Synthesis) -> None:
    domain = _one(synthesis.resources, "AWS::Cognito::UserPoolDomain")
    assert domain["ManagedLoginVersion"] == 2
    branding = _one(synthesis.resources, "AWS::Cognito::ManagedLoginBranding")
    assert branding["UseCognitoProvidedValues"] is True


def test_the_api_trusts_the_pool(synthesis: Synthesis) -> None:
    identity = synthesis.stack.identity
    assert identity is not None
    fn = synthesis.resources[synthesis.logical_id(synthesis.stack.functions[API.name])]
    env = fn["Properties"]["Environment"]["Variables"]
    pool = synthesis.logical_id(identity.pool)
    assert pool in json.dumps(env[s.SIGNIN_ISSUER]) and "cognito-idp." in json.dumps(
        env[s.SIGNIN_ISSUER]
    )
    assert env[s.SIGNIN_CLIENT_ID] == {"Ref": synthesis.logical_id(identity.client)}
    assert env[s.SIGNIN_CLI_REDIRECT_URI] == "http://localhost:53682/callback"
    assert s.SIGNIN_AUDIENCE not in env  # Cognito access tokens have no aud: client_id is pinned


def _identity_template(context: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    app = App()
    stack = Stack(app, "IdentityOnly")
    Identity(
        stack,
        "Identity",
        config=IdentityConfig.from_context(context.get),
        public_url="https://conda.example.com",
        stage="test",
    )
    return dict(Template.from_stack(stack).to_json()["Resources"])


FEDERATED = {
    "signup": "domains",
    "signup_domains": "example.com,example.org",
    "mfa": "required",
    "callback_urls": "http://localhost:5173/callback",
    "google_client_id": "g-client.apps.example",
    "google_client_secret_name": "rillet/google",
    "oidc_providers": json.dumps(
        [
            {
                "name": "Okta",
                "issuer": "https://example.okta.com",
                "client_id": "okta-client",
                "client_secret_name": "rillet/okta",
            }
        ]
    ),
    "saml_providers": json.dumps(
        [{"name": "Corp", "metadata_url": "https://idp.example.com/metadata.xml"}]
    ),
}


def test_federated_providers_domains_and_mfa_required() -> None:
    resources = _identity_template(FEDERATED)
    pool = _one(resources, "AWS::Cognito::UserPool")
    assert pool["MfaConfiguration"] == "ON"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    trigger = _one(resources, "AWS::Lambda::Function")
    assert trigger["Environment"]["Variables"] == {
        "SIGNUP_POLICY": "domains",
        "SIGNUP_DOMAINS": "example.com,example.org",
    }
    providers = {
        r["Properties"]["ProviderType"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Cognito::UserPoolIdentityProvider"
    }
    assert set(providers) == {"Google", "OIDC", "SAML"}
    assert providers["OIDC"]["ProviderDetails"]["oidc_issuer"] == "https://example.okta.com"
    # Secrets stay in Secrets Manager: the template holds a reference only.
    assert "resolve:secretsmanager:rillet/okta" in json.dumps(providers["OIDC"])
    assert "resolve:secretsmanager:rillet/google" in json.dumps(providers["Google"])
    assert providers["SAML"]["ProviderDetails"]["MetadataURL"].endswith("metadata.xml")
    client = _one(resources, "AWS::Cognito::UserPoolClient")
    assert set(client["SupportedIdentityProviders"]) == {"COGNITO", "Google", "Okta", "Corp"}
    assert client["CallbackURLs"] == [
        "https://conda.example.com/callback",
        "http://localhost:53682/callback",
        "http://localhost:5173/callback",
    ]


def test_open_sign_up_has_no_trigger() -> None:
    resources = _identity_template({"signup": "open", "mfa": "off"})
    pool = _one(resources, "AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert "LambdaConfig" not in pool
    assert pool["MfaConfiguration"] == "OFF"
    assert not [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]


def test_sign_in_can_be_left_out() -> None:
    empty: dict[str, str] = {}
    assert IdentityConfig.from_context({"signin": "false"}.get).enabled is False
    assert IdentityConfig.from_context(empty.get).enabled is True


@pytest.mark.parametrize(
    "context",
    [
        {"signup": "everyone"},
        {"signup": "domains"},  # no domains
        {"signup_domains": "example.com"},  # domains without signup=domains
        {"signup": "domains", "signup_domains": "Example.COM"},
        {"mfa": "sometimes"},
        {"google_client_id": "x"},  # no secret
        {"callback_urls": "http://app.example.com/callback"},  # http only for localhost
        {"oidc_providers": "not json"},
        {
            "oidc_providers": json.dumps(
                [{"name": "X", "issuer": "http://x", "client_id": "c", "client_secret_name": "n"}]
            )
        },
    ],
)
def test_bad_context_is_refused(context: dict[str, str]) -> None:
    with pytest.raises(IdentityConfigError):
        IdentityConfig.from_context(context.get)


def _trigger(policy: str, domains: str = "") -> Any:
    namespace: dict[str, Any] = {}
    os.environ["SIGNUP_POLICY"], os.environ["SIGNUP_DOMAINS"] = policy, domains
    try:
        exec(PRE_SIGN_UP, namespace)  # the inline Lambda source under test
    finally:
        del os.environ["SIGNUP_POLICY"], os.environ["SIGNUP_DOMAINS"]
    return namespace["handler"]


def _event(source: str, email: str, verified: str | None = None) -> dict[str, Any]:
    attributes = {"email": email}
    if verified is not None:
        attributes["email_verified"] = verified
    return {"triggerSource": source, "request": {"userAttributes": attributes}}


def test_pre_sign_up_invite_only() -> None:
    handler = _trigger("invite")
    invited = _event("PreSignUp_AdminCreateUser", "a@b.example")
    assert handler(invited, None) is invited
    for source in ("PreSignUp_SignUp", "PreSignUp_ExternalProvider"):
        with pytest.raises(Exception, match="invitation"):
            handler(_event(source, "a@b.example", "true"), None)


def test_pre_sign_up_email_domains() -> None:
    handler = _trigger("domains", "example.com")
    ok = _event("PreSignUp_SignUp", "Ana@Example.com")
    assert handler(ok, None) is ok
    for email in ("ana@evil.com", "ana@example.com.evil.com", "ana@sub.example.com", "example.com"):
        with pytest.raises(Exception, match="allowed domains"):
            handler(_event("PreSignUp_SignUp", email), None)
    federated = _event("PreSignUp_ExternalProvider", "ana@example.com", "true")
    assert handler(federated, None) is federated
    with pytest.raises(Exception, match="verified"):
        handler(_event("PreSignUp_ExternalProvider", "ana@example.com", "false"), None)
