"""Sign-in: an Amazon Cognito user pool with managed login and one public app client.

The API accepts the pool's access tokens (``rillet.core.sessions``); the web app and
``rillet login`` use the authorization-code flow with PKCE and no client secret. CDK
context chooses the sign-up policy, MFA and federated identity providers (IdentityConfig).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aws_cdk import Aws, Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.aws.functions import RUNTIME
from infra.aws.nag import acknowledge
from rillet.runtime import settings as s

SIGNUP_POLICIES: Final = ("open", "domains", "invite")
MFA_SETTINGS: Final = ("off", "optional", "required")
# `rillet login` against Cognito: a fixed loopback callback (Cognito matches callback
# URLs exactly, port included; http is allowed for localhost only).
DEFAULT_CLI_PORT: Final = 53682
SCOPES: Final = ("openid", "email", "profile")


class IdentityConfigError(ValueError):
    """A sign-in context value is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class OidcProvider:
    """Any OpenID Provider (Okta, Entra ID, a GitHub-to-OIDC bridge, ...)."""

    name: str
    issuer: str
    client_id: str
    client_secret_name: str  # a Secrets Manager secret holding the client secret
    scopes: tuple[str, ...] = ("openid", "email", "profile")


@dataclass(frozen=True)
class SamlProvider:
    name: str
    metadata_url: str


@dataclass(frozen=True)
class IdentityConfig:
    enabled: bool = True
    signup: str = "invite"  # open | domains (pre-sign-up check) | invite (operator invites)
    signup_domains: tuple[str, ...] = ()
    mfa: str = "optional"  # off | optional (TOTP) | required
    callback_urls: tuple[str, ...] = ()  # besides <public URL>/callback and the CLI's
    logout_urls: tuple[str, ...] = ()
    domain_prefix: str | None = None  # managed login at <prefix>.auth.<region>.amazoncognito.com
    cli_port: int = DEFAULT_CLI_PORT
    google_client_id: str | None = None
    google_client_secret_name: str | None = None
    oidc_providers: tuple[OidcProvider, ...] = field(default_factory=tuple)
    saml_providers: tuple[SamlProvider, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.signup not in SIGNUP_POLICIES:
            raise IdentityConfigError(f"signup must be one of {SIGNUP_POLICIES}")
        if self.mfa not in MFA_SETTINGS:
            raise IdentityConfigError(f"mfa must be one of {MFA_SETTINGS}")
        if (self.signup == "domains") != bool(self.signup_domains):
            raise IdentityConfigError("signup=domains and signup_domains go together")
        for domain in self.signup_domains:
            if "@" in domain or "." not in domain or domain != domain.lower():
                raise IdentityConfigError(f"signup_domains: {domain!r} is not a lower-case domain")
        if bool(self.google_client_id) != bool(self.google_client_secret_name):
            raise IdentityConfigError("google_client_id and google_client_secret_name go together")
        for url in (*self.callback_urls, *self.logout_urls):
            if not (url.startswith("https://") or url.startswith("http://localhost")):
                raise IdentityConfigError(f"{url}: https, or http://localhost, only")
        if not 1024 <= self.cli_port <= 65535:
            raise IdentityConfigError("cli_port must be from 1024 to 65535")
        for p in self.oidc_providers:
            if not p.issuer.startswith("https://"):
                raise IdentityConfigError(f"oidc provider {p.name}: the issuer must be https")

    def login_domain_prefix(self, stage: str) -> str:
        return self.domain_prefix or f"rillet-{stage}-{Aws.ACCOUNT_ID}"

    def connect_origins(self, stage: str) -> tuple[str, str]:
        """What the web app fetches for sign-in: the issuer (discovery, keys) and the
        managed login domain (token endpoint): its CSP's connect-src."""
        return (
            f"https://cognito-idp.{Aws.REGION}.amazonaws.com",
            f"https://{self.login_domain_prefix(stage)}.auth.{Aws.REGION}.amazoncognito.com",
        )

    @property
    def cli_redirect_uri(self) -> str:
        return f"http://localhost:{self.cli_port}/callback"

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> IdentityConfig:
        """Context keys: signin, signup, signup_domains, mfa, callback_urls, logout_urls,
        auth_domain_prefix, cli_callback_port, google_client_id, google_client_secret_name,
        oidc_providers (JSON list), saml_providers (JSON list)."""
        enabled = get("signin")
        return cls(
            enabled=enabled in (None, "") or str(enabled).lower() in ("true", "1", "yes"),
            signup=str(get("signup") or "invite"),
            signup_domains=_csv(get("signup_domains")),
            mfa=str(get("mfa") or "optional"),
            callback_urls=_csv(get("callback_urls")),
            logout_urls=_csv(get("logout_urls")),
            domain_prefix=get("auth_domain_prefix") or None,
            cli_port=int(get("cli_callback_port") or DEFAULT_CLI_PORT),
            google_client_id=get("google_client_id") or None,
            google_client_secret_name=get("google_client_secret_name") or None,
            oidc_providers=tuple(
                OidcProvider(
                    name=str(p["name"]),
                    issuer=str(p["issuer"]),
                    client_id=str(p["client_id"]),
                    client_secret_name=str(p["client_secret_name"]),
                    scopes=tuple(p.get("scopes") or ("openid", "email", "profile")),
                )
                for p in _json_list(get("oidc_providers"), "oidc_providers")
            ),
            saml_providers=tuple(
                SamlProvider(name=str(p["name"]), metadata_url=str(p["metadata_url"]))
                for p in _json_list(get("saml_providers"), "saml_providers")
            ),
        )


def _csv(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, list):
        return tuple(str(v).strip() for v in raw if str(v).strip())
    return tuple(v.strip() for v in str(raw or "").split(",") if v.strip())


def _json_list(raw: Any, key: str) -> list[Mapping[str, Any]]:
    if raw in (None, ""):
        return []
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise IdentityConfigError(f"{key}: not JSON ({exc})") from None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise IdentityConfigError(f"{key}: expected a JSON list of objects")
    return value


# The pre-sign-up trigger: small, dependency-free, inline. Returning the event lets the
# sign-up continue; raising refuses it with the message shown on the managed login page.
PRE_SIGN_UP = """\
import os

POLICY = os.environ["SIGNUP_POLICY"]
DOMAINS = {d for d in os.environ.get("SIGNUP_DOMAINS", "").split(",") if d}


def handler(event, context):
    source = event.get("triggerSource", "")
    if source == "PreSignUp_AdminCreateUser":
        return event  # the operator invites: always allowed
    if POLICY == "invite":
        raise Exception("Sign-up is by invitation only")
    attributes = event.get("request", {}).get("userAttributes", {})
    email = attributes.get("email", "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or domain not in DOMAINS:
        raise Exception("Sign-up is open to addresses of allowed domains only")
    # Federated accounts skip Cognito's own verification: the provider must vouch.
    if source == "PreSignUp_ExternalProvider" and attributes.get("email_verified") != "true":
        raise Exception("Sign-up needs an email address your provider has verified")
    return event
"""


class Identity(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: IdentityConfig,
        public_url: str,
        stage: str,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
    ) -> None:
        super().__init__(scope, id)
        self.config = config
        self.pool = cognito.UserPool(
            self,
            "UserPool",
            # Invite-only: no self sign-up; the operator invites (admin-create-user).
            self_sign_up_enabled=config.signup != "invite",
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),  # until the new one is verified
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa={
                "off": cognito.Mfa.OFF,
                "optional": cognito.Mfa.OPTIONAL,
                "required": cognito.Mfa.REQUIRED,
            }[config.mfa],
            mfa_second_factor=None
            if config.mfa == "off"
            else cognito.MfaSecondFactor(otp=True, sms=False),
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your Rillet account",
                email_body=(
                    f"You are invited to Rillet ({public_url}). Sign in with {{username}} "
                    "and the temporary password {####}."
                ),
            ),
            removal_policy=removal_policy,
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.pool,
            "AwsSolutions-COG8",
            "The Plus feature plan costs extra per monthly active user; Essentials gives "
            "managed login, MFA and federation, which is what Rillet needs.",
        )
        acknowledge(
            self.pool,
            "AwsSolutions-COG3",
            "Threat protection needs the Plus feature plan (extra cost per user); operators "
            "can enable it on the pool; sign-in still requires a verified email.",
        )
        if config.mfa != "required":
            acknowledge(
                self.pool,
                "AwsSolutions-COG2",
                "MFA is the operator's choice (context mfa=required enforces it); with "
                "mfa=optional every user can enable TOTP.",
            )
        if config.signup != "open":
            self._pre_sign_up(removal_policy, log_retention)

        providers = [cognito.UserPoolClientIdentityProvider.COGNITO]
        dependencies: list[Construct] = []
        if config.google_client_id and config.google_client_secret_name:
            google = cognito.UserPoolIdentityProviderGoogle(
                self,
                "Google",
                user_pool=self.pool,
                client_id=config.google_client_id,
                client_secret_value=SecretValue.secrets_manager(config.google_client_secret_name),
                scopes=["openid", "email", "profile"],
                attribute_mapping=cognito.AttributeMapping(
                    email=cognito.ProviderAttribute.GOOGLE_EMAIL,
                    email_verified=cognito.ProviderAttribute.other("email_verified"),
                ),
            )
            providers.append(cognito.UserPoolClientIdentityProvider.GOOGLE)
            dependencies.append(google)
        for p in config.oidc_providers:
            oidc = cognito.UserPoolIdentityProviderOidc(
                self,
                f"Oidc{_cid(p.name)}",
                user_pool=self.pool,
                name=p.name,
                issuer_url=p.issuer,
                client_id=p.client_id,
                client_secret=SecretValue.secrets_manager(p.client_secret_name).unsafe_unwrap(),
                scopes=list(p.scopes),
                attribute_request_method=cognito.OidcAttributeRequestMethod.GET,
                attribute_mapping=cognito.AttributeMapping(
                    email=cognito.ProviderAttribute.other("email"),
                    email_verified=cognito.ProviderAttribute.other("email_verified"),
                ),
            )
            providers.append(cognito.UserPoolClientIdentityProvider.custom(p.name))
            dependencies.append(oidc)
        for sp in config.saml_providers:
            saml = cognito.UserPoolIdentityProviderSaml(
                self,
                f"Saml{_cid(sp.name)}",
                user_pool=self.pool,
                name=sp.name,
                metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(sp.metadata_url),
                attribute_mapping=cognito.AttributeMapping(
                    email=cognito.ProviderAttribute.other(
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
                    ),
                ),
            )
            providers.append(cognito.UserPoolClientIdentityProvider.custom(sp.name))
            dependencies.append(saml)

        base = public_url.rstrip("/")
        self.client = self.pool.add_client(
            "WebClient",
            user_pool_client_name=f"rillet-{stage}-web",
            generate_secret=False,  # a public client: the browser and the CLI hold no secret
            auth_flows=cognito.AuthFlow(user_srp=False, custom=False),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[getattr(cognito.OAuthScope, scope.upper()) for scope in SCOPES],
                callback_urls=[f"{base}/callback", config.cli_redirect_uri, *config.callback_urls],
                # The web app lands on /logout after signing out (web/src/auth/oidc.ts).
                logout_urls=[f"{base}/", f"{base}/logout", *config.logout_urls],
            ),
            supported_identity_providers=providers,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        for dependency in dependencies:
            self.client.node.add_dependency(dependency)
        self.domain = self.pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=config.login_domain_prefix(stage)
            ),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        # Managed login (v2) shows a page only once the client has a branding style.
        cognito.CfnManagedLoginBranding(
            self,
            "Branding",
            user_pool_id=self.pool.user_pool_id,
            client_id=self.client.user_pool_client_id,
            use_cognito_provided_values=True,
        )

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{Aws.REGION}.amazonaws.com/{self.pool.user_pool_id}"

    def environment(self) -> dict[str, str]:
        """The API's sign-in settings (rillet.runtime.settings)."""
        return {
            s.SIGNIN_ISSUER: self.issuer,
            s.SIGNIN_CLIENT_ID: self.client.user_pool_client_id,
            s.SIGNIN_SCOPES: " ".join(SCOPES),
            s.SIGNIN_CLI_REDIRECT_URI: self.config.cli_redirect_uri,
        }

    def _pre_sign_up(
        self, removal_policy: RemovalPolicy, log_retention: logs.RetentionDays
    ) -> None:
        log_group = logs.LogGroup(
            self, "PreSignUpLogs", retention=log_retention, removal_policy=removal_policy
        )
        role = iam.Role(
            self, "PreSignUpRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
        )
        log_group.grant_write(role)
        self.pre_sign_up = lambda_.Function(
            self,
            "PreSignUp",
            description="Cognito pre-sign-up: the deployment's sign-up policy",
            runtime=RUNTIME,
            handler="index.handler",
            code=lambda_.Code.from_inline(PRE_SIGN_UP),
            memory_size=128,
            timeout=Duration.seconds(5),
            environment={
                "SIGNUP_POLICY": self.config.signup,
                "SIGNUP_DOMAINS": ",".join(self.config.signup_domains),
            },
            role=role,
            log_group=log_group,
        )
        self.pool.add_trigger(cognito.UserPoolOperation.PRE_SIGN_UP, self.pre_sign_up)
        acknowledge(
            self.pre_sign_up,
            "AwsSolutions-L1",
            "The trigger runs on the same Python runtime as the functions and their layers, "
            "upgraded together with them.",
        )


def _cid(name: str) -> str:
    return "".join(ch for ch in name.title() if ch.isalnum())
