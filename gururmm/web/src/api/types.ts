// The shapes gururmm-server returns, under the names the dashboard uses. They come from the
// server's OpenAPI document (gururmm/openapi.json, generated into schema.ts by
// `npm run gen:api`), so a changed DTO is a type error here rather than a surprise at runtime.

import type * as api from './schema';

export type User = api.UserDto;
export type LoginResponse = api.LoginResponse;
export type SecondFactorStatus = api.SecondFactorStatus;
export type SecondFactorSetup = api.SecondFactorSetup;
export type RecoveryCodes = api.RecoveryCodes;
export type SsoOptions = api.SsoOptions;
export type Client = api.ClientDto;
export type Site = api.SiteDto;
/** A site as returned on creation and regeneration: the only time its code is readable. */
export type SiteWithCode = api.SiteWithCode;
export type Agent = api.AgentDto;
export type AgentPage = api.AgentPage;
export type AgentStats = api.AgentStats;
export type NetworkInterface = api.NetworkInterface;
export type AgentState = api.AgentState;
export type MetricSample = api.MetricSample;
export type CommandStatus = api.CommandStatus;
export type Command = api.CommandDto;
/** A remote-control launch as the command list shows it (never its stored form). */
export type LaunchSummary = api.LaunchSummary;
/** A command as `GET /api/commands` lists it: with its machine's name. */
export type CommandListItem = api.CommandListItem;
export type Alert = api.AlertDto;
export type WatchdogEvent = api.WatchdogEventDto;
/** The server's error envelope. */
export type ErrorEnvelope = api.ErrorEnvelope;
/** GuruConnect's capability document, as GuruRMM relays it. */
export type ConnectCapabilities = api.Capabilities;
export type RemoteControlMode = api.RemoteControlMode;
/** `GET /api/remote-control/status`. */
export type RemoteControlStatus = api.RemoteControlStatus;
/** `GET /api/remote-control/sessions/{id}`: the row, brought up to date. */
export type RemoteControlSession = api.RemoteControlSessionDto;
/** `POST /api/agents/{id}/remote-control`. */
export type RemoteControlStart = api.StartResponse;

/** The command types a technician can send (the server's list; a launch is sent by the server). */
export const COMMAND_TYPES = ['shell', 'powershell', 'python', 'script', 'claude_task'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];
