import type { OutgoingEmail } from "./mailer";

export function verifyEmailMessage(to: string, name: string, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: "Confirm your email for opslayer",
    text: `Hello ${name},\n\nConfirm your email address by opening this link within 48 hours:\n\n${link}\n\nIf you did not sign up, ignore this message.\n`,
  };
}

export function resetPasswordMessage(to: string, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: "Reset your opslayer password",
    text: `Someone asked to reset the password of this opslayer account.\n\nOpen this link within one hour to choose a new password:\n\n${link}\n\nIf it was not you, ignore this message; your password stays as it is.\n`,
  };
}

export function supportMessage(to: string, orgName: string, scope: string, expiresAt: number, reason: string, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: `Support access granted by ${orgName}`,
    text: `${orgName} granted ${scope} access to support until ${new Date(expiresAt).toISOString()}.\n\nReason: ${reason}\n\nOpen this link while logged in as staff (it works once):\n\n${link}\n`,
  };
}

export function invitationMessage(to: string, orgName: string, inviterName: string, roleName: string, expiresAt: number, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: `${inviterName} invited you to ${orgName} on opslayer`,
    text: `${inviterName} invited you to join ${orgName} on opslayer as ${roleName}.\n\nAccept by opening this link before ${new Date(expiresAt).toISOString()} (it works once, for ${to} only):\n\n${link}\n\nIf you did not expect this, ignore this message.\n`,
  };
}
