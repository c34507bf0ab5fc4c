import * as assert from "node:assert/strict";
import { type Built, type CapturedResource } from "../harness";
export const SUBNET = "aws:ec2/subnet:Subnet";
export const ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation";
export const NAT = "aws:ec2/natGateway:NatGateway";
export const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";

export function subnetsOfTier(b: Built, tier: string): CapturedResource[] {
    return b.capture.ofType(SUBNET).filter((s) => s.inputs.tags["platform/tier"] === tier);
}

/** The route table associated with a subnet (through its RouteTableAssociation's dependencies). */
export function routeTableOf(b: Built, subnet: CapturedResource): CapturedResource {
    const association = b.capture.ofType(ASSOCIATION).find((a) => a.propertyDependencies.subnetId?.includes(subnet.urn));
    assert.ok(association, `no route table association for ${subnet.name}`);
    const tableUrn = association.propertyDependencies.routeTableId[0];
    return b.capture.byUrn(tableUrn);
}
