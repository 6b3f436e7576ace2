DROP TABLE grant_invitations;
