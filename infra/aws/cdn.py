"""CloudFront: the whole public surface. Channel files from S3, /api/* to the HTTP API.

Private channels are checked by the viewer-request function from ``infra/edge`` before
the cache is consulted, so cached private files are still only served to members. It
reads channel visibility and hashed read tokens from a KeyValueStore that the
edge_sync function keeps in step with DynamoDB.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.aws.config import StageConfig
from infra.aws.functions import ROOT
from infra.aws.nag import acknowledge
from rillet.core import webapp

VIEWER_REQUEST = ROOT / "infra" / "edge" / "viewer_request.js"
VIEWER_RESPONSE = ROOT / "infra" / "edge" / "viewer_response.js"
# Written once under a name that never changes bytes: packages and content-addressed shards.
IMMUTABLE_PATHS = ("*.conda", "*.tar.bz2", "*/shards/*")
# repodata*.json(.zst) and the shard index are rewritten in place; their objects say
# max-age=60 (clients) and s-maxage=5 (which CloudFront prefers), and the policy caps
# whatever an object says at MAX_INDEX_TTL.
INDEX_TTL = Duration.seconds(60)
MAX_INDEX_TTL = Duration.minutes(5)
IMMUTABLE_TTL = Duration.days(365)
# The viewer-request function selects this origin for the web app's pages (WEB_ORIGIN_ID
# in infra/edge/viewer_request.js).
WEB_ORIGIN_ID = "web"


class Cdn(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        channels: s3.IBucket,
        logs: s3.IBucket,
        api_domain_name: str,
        web: s3.IBucket,
        connect_origins: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, id)
        # CloudFront names are global to the account: with the region in them the same
        # stage can be deployed in two regions (the generated defaults would collide).
        global_name = f"{Stack.of(self).stack_name}-{Aws.REGION}"
        self.edge_store = cloudfront.KeyValueStore(
            self,
            "EdgeStore",
            key_value_store_name=config.edge_store_name or f"{global_name}-edge",
            comment="rillet: channel visibility and read-token hashes",
        )
        viewer_request = cloudfront.Function(
            self,
            "ViewerRequest",
            code=cloudfront.FunctionCode.from_file(file_path=str(VIEWER_REQUEST)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=self.edge_store,
            comment="rillet: private channel reads",
        )
        # Files of private channels leave as Cache-Control: private (objects say public so
        # that CloudFront's own cache, guarded by the viewer-request function, keeps them).
        viewer_response = cloudfront.Function(
            self,
            "ViewerResponse",
            code=cloudfront.FunctionCode.from_file(file_path=str(VIEWER_RESPONSE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=self.edge_store,
            comment="rillet: private channel files are not for shared caches",
        )
        edge = [
            cloudfront.FunctionAssociation(
                function=viewer_request, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
            ),
            cloudfront.FunctionAssociation(
                function=viewer_response, event_type=cloudfront.FunctionEventType.VIEWER_RESPONSE
            ),
        ]
        # LIST lets S3 answer 404 for a missing key instead of 403, which clients treat
        # as fatal rather than "not there". It cannot become a listing: S3 lists only for a
        # request to the bucket root, and the viewer-request function answers 404 itself for
        # any URI without /<channel>/.../<file>, and no behaviour forwards query strings.
        # (Without LIST, mapping 403 to 404 would need a distribution-wide custom error
        # response, which would also rewrite the API's own 403s.)
        bucket = origins.S3BucketOrigin.with_origin_access_control(
            channels,
            origin_access_control=cloudfront.S3OriginAccessControl(
                self, "ChannelsAccess", origin_access_control_name=f"{global_name}-channels"
            ),
            origin_access_levels=[cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST],
        )
        self.immutable_policy = cloudfront.CachePolicy(
            self,
            "Immutable",
            comment="rillet packages and shards: never change once written",
            default_ttl=IMMUTABLE_TTL,
            min_ttl=Duration.days(1),
            max_ttl=IMMUTABLE_TTL,
        )
        self.index_policy = cloudfront.CachePolicy(
            self,
            "Index",
            comment="rillet index files: rewritten on every change",
            default_ttl=INDEX_TTL,
            min_ttl=Duration.seconds(0),
            max_ttl=MAX_INDEX_TTL,
            # repodata.json compresses ~10x; let CloudFront do it per the viewer's encoding.
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

        # The web app's build (web/dist), in its own bucket: /assets/* here, and the pages
        # (index.html) through the viewer-request function, which selects this origin.
        web_origin = origins.S3BucketOrigin.with_origin_access_control(
            web,
            origin_id=WEB_ORIGIN_ID,
            origin_access_control=cloudfront.S3OriginAccessControl(
                self, "WebAccess", origin_access_control_name=f"{global_name}-web"
            ),
            origin_access_levels=[cloudfront.AccessLevel.READ],
        )
        self.web_assets_policy = cloudfront.CachePolicy(
            self,
            "WebAssets",
            comment="rillet web app: content-hashed files",
            default_ttl=IMMUTABLE_TTL,
            min_ttl=Duration.days(1),
            max_ttl=IMMUTABLE_TTL,
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        # The same headers on every response, as the local stack sends them (core.webapp).
        headers = webapp.security_headers(connect_origins)
        self.headers_policy = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="rillet: CSP, HSTS and the other security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=headers["Content-Security-Policy"], override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(63072000),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(header=name, value=headers[name], override=True)
                    for name in ("Permissions-Policy", "Cross-Origin-Opener-Policy")
                ]
            ),
        )

        def channel_files(
            policy: cloudfront.ICachePolicy, compress: bool
        ) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=bucket,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=policy,
                compress=compress,
                function_associations=edge,
                response_headers_policy=self.headers_policy,
            )

        web_assets = cloudfront.BehaviorOptions(
            origin=web_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=self.web_assets_policy,
            compress=True,
            # Routes /assets/<file> as the local stack does (and drops credentials).
            function_associations=edge[:1],
            response_headers_policy=self.headers_policy,
        )

        api = cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin(
                api_domain_name, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
            ),
            # A redirect would turn a POST into a GET; refuse plain HTTP instead.
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            # With caching disabled this forwards Authorization and the body; the Host
            # header must stay the API's own or API Gateway refuses the request.
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=self.headers_policy,
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            if config.certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"rillet {config.stage}",
            default_behavior=channel_files(self.index_policy, compress=True),
            additional_behaviors={
                "/api/*": api,
                webapp.ASSETS_PREFIX + "*": web_assets,
                **{path: channel_files(self.immutable_policy, False) for path in IMMUTABLE_PATHS},
            },
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=certificate,
            # Only a custom certificate can raise the TLS floor (see the CFR4 note below).
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            # With LIST access, "/" would otherwise be S3's listing of the whole bucket,
            # private channels included; a root object that never exists answers 404.
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # North America and Europe edges only: the cheapest class; widen if users are elsewhere.
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cloudfront/",
        )
        acknowledge(
            self.distribution,
            "Annotation::@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk",
            "The default root object is set and no behavior forwards query strings to S3, "
            "so no request can turn into a bucket listing.",
        )
        host = config.domain_name or self.distribution.distribution_domain_name
        self.public_url = f"https://{host}"
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "Package hosting for anyone: who may read is decided per channel at the edge, "
            "not by country.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "WAF costs a monthly fee even at zero traffic; the API throttles at its stage "
            "and authenticates every call. Attach a web ACL if the deployment needs one.",
        )
        if not certificate:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain CloudFront serves its default *.cloudfront.net "
                "certificate, whose TLS floor cannot be set; give domain_name and "
                "certificate_arn to get TLSv1.2_2021.",
            )
