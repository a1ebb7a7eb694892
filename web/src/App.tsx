// Every URL of the app (shared/spec/web-app.md). Add a page: create
// src/pages/<Name>Page.tsx with a default export, import it here, add its <Route>.
import { BrowserRouter, Route, Routes } from "react-router-dom";
import { AuthProvider } from "./auth/AuthContext";
import { CALLBACK_PATH, LOGOUT_PATH } from "./auth/oidc";
import { CHOOSE_NAME_PATH, Layout } from "./components/Layout";
import { ConfigProvider } from "./config";
import CallbackPage from "./pages/CallbackPage";
import ChooseUsernamePage from "./pages/ChooseUsernamePage";
import HomePage from "./pages/HomePage";
import LogoutPage from "./pages/LogoutPage";
import NotFoundPage from "./pages/NotFoundPage";
// -- web-a pages --
import AccountPage from "./pages/AccountPage";
import ChannelPage from "./pages/ChannelPage";
import CreateChannelPage from "./pages/CreateChannelPage";
import PackagePage from "./pages/PackagePage";
// -- web-b pages --
import AuditPage from "./pages/AuditPage";
import MembersPage from "./pages/MembersPage";
import SettingsPage from "./pages/SettingsPage";
import UploadPage from "./pages/UploadPage";

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<HomePage />} />
        <Route path={CALLBACK_PATH} element={<CallbackPage />} />
        <Route path={LOGOUT_PATH} element={<LogoutPage />} />
        <Route path={CHOOSE_NAME_PATH} element={<ChooseUsernamePage />} />
        {/* -- web-a routes -- */}
        <Route path="/account" element={<AccountPage />} />
        <Route path="/channels/new" element={<CreateChannelPage />} />
        <Route path="/channels/:channel" element={<ChannelPage />} />
        <Route path="/channels/:channel/packages/:name" element={<PackagePage />} />
        {/* -- web-b routes: /channels/:channel/{upload,members,settings,audit} -- */}
        <Route path="/channels/:channel/upload" element={<UploadPage />} />
        <Route path="/channels/:channel/members" element={<MembersPage />} />
        <Route path="/channels/:channel/settings" element={<SettingsPage />} />
        <Route path="/channels/:channel/audit" element={<AuditPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <ConfigProvider>
      <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <AuthProvider>
          <AppRoutes />
        </AuthProvider>
      </BrowserRouter>
    </ConfigProvider>
  );
}
